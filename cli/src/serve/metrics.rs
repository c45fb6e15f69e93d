//! `GET /metrics`: Prometheus' text format. Calls by shop, action and outcome, their
//! durations and how many are in flight are counted here as they end; what the shops' HTTP
//! layer counted (Upgates' answers by status, cache hits, shared GETs, the quota Upgates
//! reported last) is read at each scrape.

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::backend::ServedShop;

/// Static strings: a call's labels cost no allocation (shop names live as long as the process).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    pub shop: &'static str,
    pub action: &'static str,
    /// `ano`, the "Ne" reason, or the HTTP layer's refusal (`bad-request`, `unauthenticated`).
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActionLabel {
    pub action: &'static str,
}

pub struct Metrics {
    registry: Registry,
    pub calls: Family<CallLabels, Counter>,
    pub durations: Family<ActionLabel, Histogram>,
    pub in_flight: Gauge,
}

/// Seconds: a cached answer takes milliseconds, Upgates' own answers up to the call's 30 s.
const DURATION_BUCKETS: [f64; 12] = [
    0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0,
];

impl Metrics {
    pub fn new(shops: Vec<Arc<ServedShop>>) -> Self {
        let mut registry = Registry::with_prefix("upgates");
        let calls = Family::<CallLabels, Counter>::default();
        registry.register(
            "calls",
            "Action calls by shop, action and outcome",
            calls.clone(),
        );
        let durations = Family::<ActionLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(DURATION_BUCKETS)
        });
        registry.register(
            "call_duration_seconds",
            "How long action calls took, from the request to the answer",
            durations.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "calls_in_flight",
            "Action calls being answered now",
            in_flight.clone(),
        );
        registry.register_collector(Box::new(ShopsCollector(shops)));
        Self {
            registry,
            calls,
            durations,
            in_flight,
        }
    }

    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String does not fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// Each shop's HTTP-layer counts, read when scraped. Shops of one origin share one state
/// (Upgates counts per shop, not per API user): each shows the shared figures.
#[derive(Debug)]
struct ShopsCollector(Vec<Arc<ServedShop>>);

impl std::fmt::Debug for ServedShop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServedShop")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Collector for ShopsCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats: Vec<_> = self
            .0
            .iter()
            .map(|shop| (shop.name, shop.connection.policy.stats()))
            .collect();
        let counter = ConstCounter::new(0u64);
        {
            let mut family = encoder.encode_descriptor(
                "upstream_responses",
                "Upgates' answers to this process, by HTTP status",
                None,
                counter.metric_type(),
            )?;
            for (shop, stats) in &stats {
                for (status, count) in &stats.upstream_by_status {
                    let status = status.to_string();
                    let labels = [("shop", *shop), ("status", status.as_str())];
                    ConstCounter::new(*count).encode(family.encode_family(&labels)?)?;
                }
            }
        }
        for (name, help, value) in [
            (
                "upstream_failures",
                "Requests to Upgates that got no answer (refused, timed out, cut off)",
                (|s: &upgates_host::ShopStats| s.upstream_failed) as fn(&_) -> u64,
            ),
            (
                "cache_hits",
                "GETs answered from the cache, without a request to Upgates",
                |s| s.cache_hits,
            ),
            ("cache_misses", "GETs sent to Upgates", |s| s.cache_misses),
            (
                "shared_gets",
                "GETs that shared an identical one in flight, without a request of their own",
                |s| s.shared_gets,
            ),
        ] {
            let mut family = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            for (shop, stats) in &stats {
                let labels = [("shop", *shop)];
                ConstCounter::new(value(stats)).encode(family.encode_family(&labels)?)?;
            }
        }
        let gauge = ConstGauge::new(0i64);
        let mut family = encoder.encode_descriptor(
            "quota_remaining",
            "The requests Upgates said were left, by period, in its last answer",
            None,
            gauge.metric_type(),
        )?;
        for (shop, stats) in &stats {
            let Some(limits) = &stats.rate_limits else {
                continue;
            };
            for (period, left) in [
                ("hour", limits.hour_remaining),
                ("day", limits.day_remaining),
                ("total", limits.total_remaining),
            ] {
                if let Some(left) = left {
                    let labels = [("shop", *shop), ("period", period)];
                    let left = i64::try_from(left).unwrap_or(i64::MAX);
                    ConstGauge::new(left).encode(family.encode_family(&labels)?)?;
                }
            }
        }
        Ok(())
    }
}
