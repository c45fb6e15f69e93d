//! Spin's `default` key-value store for the harness, answering as Spin's SQLite store does: an
//! atomic increment of 8-byte little-endian numbers, a compare-and-swap that compares only a
//! key that existed when its value was read (a swap on a key that did not exist is an
//! unconditional write), a worst-case schedule for concurrent requests, and the
//! `wasi:keyvalue` host functions over it.

use std::sync::Condvar;

use super::*;

/// The `default` store: its contents, each key with a version (what compare-and-swap
/// compares), how often a request opened it, and the schedule of its concurrent writers.
#[derive(Clone, Default)]
pub struct Kv {
    inner: Arc<Mutex<KvInner>>,
    opens: Arc<AtomicUsize>,
    pub(super) gate: Arc<Gate>,
}

/// A schedule for concurrent requests, the worst a store's clients can meet: the first `size`
/// requests to write (a swap, set, delete or increment) wait at their first write until all
/// `size` have read what they read before it, then go on one at a time, each when the one
/// before has been answered. So every request decides on what it read before any other
/// wrote, and nothing another request does later hides that (a read-back finds its own
/// write). Later writes go through. A wait lasts at most [`Gate::MAX_WAIT`]: a request that
/// never comes shows in the test's counts, not as a hang.
#[derive(Default)]
pub(super) struct Gate {
    size: usize,
    /// How many have arrived, and whose turn it is.
    queue: Mutex<(usize, usize)>,
    moved: Condvar,
}

impl Gate {
    const MAX_WAIT: Duration = Duration::from_secs(20);

    /// Waits for this request's turn: its ticket, or `None` past the first `size`.
    fn meet(&self) -> Option<usize> {
        if self.size == 0 {
            return None;
        }
        let mut queue = self.queue.lock().unwrap();
        if queue.0 >= self.size {
            return None;
        }
        let ticket = queue.0;
        queue.0 += 1;
        self.moved.notify_all();
        let _ = self
            .moved
            .wait_timeout_while(queue, Self::MAX_WAIT, |(arrived, turn)| {
                *arrived < self.size || *turn < ticket
            })
            .unwrap();
        Some(ticket)
    }

    /// The request holding `ticket` has been answered: the next one's turn.
    pub(super) fn done(&self, ticket: usize) {
        let mut queue = self.queue.lock().unwrap();
        queue.1 = queue.1.max(ticket + 1);
        self.moved.notify_all();
    }
}

#[derive(Default)]
pub struct KvInner {
    entries: HashMap<String, Versioned>,
    /// The version of the last write: versions only grow, so a key deleted and written again
    /// has changed too.
    version: u64,
}

pub struct Versioned {
    value: Vec<u8>,
    version: u64,
}

impl KvInner {
    fn write(&mut self, key: &str, value: Vec<u8>) {
        self.version += 1;
        let version = self.version;
        self.entries
            .insert(key.to_owned(), Versioned { value, version });
    }

    fn version_of(&self, key: &str) -> Option<u64> {
        self.entries.get(key).map(|e| e.version)
    }

    fn value_of(&self, key: &str) -> Option<Vec<u8>> {
        self.entries.get(key).map(|e| e.value.clone())
    }
}

impl Kv {
    /// A store whose first `requests` writing requests are scheduled as [`Gate`] says. The
    /// requests must run on threads of their own (the wait blocks).
    pub fn meeting(requests: usize) -> Self {
        Self {
            gate: Arc::new(Gate {
                size: requests,
                ..Gate::default()
            }),
            ..Self::default()
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, KvInner> {
        self.inner.lock().unwrap()
    }

    pub fn opens(&self) -> usize {
        self.opens.load(Ordering::SeqCst)
    }

    /// Writes `key` as something besides the app would.
    pub fn set(&self, key: &str, value: &[u8]) {
        self.lock().write(key, value.to_vec());
    }

    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.lock().entries.keys().cloned().collect();
        keys.sort();
        keys
    }

    /// The counter under `key`, as the app's increments left it.
    pub fn counter(&self, key: &str) -> Option<i64> {
        let value = self.lock().value_of(key)?;
        Some(i64::from_le_bytes(value.try_into().expect("8 bytes")))
    }

    /// Sets the counter under `key`, as another replica's increments would have.
    pub fn set_counter(&self, key: &str, count: i64) {
        self.set(key, &count.to_le_bytes());
    }
}

/// `wasi:keyvalue` (store, atomics) over [`State::kv`]: only the `default` bucket exists, as
/// `key_value_stores = ["default"]` in spin.toml grants; Spin answers `access-denied` for a
/// label the component was not given.
pub struct WasiKeyValue;

impl HasData for WasiKeyValue {
    type Data<'a> = &'a mut State;
}

/// A compare-and-swap under way: the key, and its version and value when the handle was made
/// (a missing key has no version). The swap succeeds only if the key is still at that version.
/// `pub`: the generated bindings re-export it.
pub struct CasHandle {
    key: String,
    version: Option<u64>,
    value: Option<Vec<u8>>,
}

impl State {
    /// Before a write: this request's turn, the first time (see [`Gate`]).
    fn first_write(&mut self) {
        if !self.wrote {
            self.wrote = true;
            self.ticket = self.kv.gate.meet();
        }
    }

    fn cas_handle(&mut self, key: String) -> Result<Resource<CasHandle>, kv_store::Error> {
        let (version, value) = {
            let kv = self.kv.lock();
            (kv.version_of(&key), kv.value_of(&key))
        };
        self.table
            .push(CasHandle {
                key,
                version,
                value,
            })
            .map_err(|e| kv_store::Error::Other(e.to_string()))
    }
}

impl kv_store::Host for &mut State {
    fn open(&mut self, identifier: String) -> Result<Resource<kv_store::Bucket>, kv_store::Error> {
        if identifier == "default" {
            self.kv.opens.fetch_add(1, Ordering::SeqCst);
            // One bucket: its handle needs no state.
            Ok(Resource::new_own(0))
        } else {
            Err(kv_store::Error::AccessDenied)
        }
    }
}

impl kv_store::HostBucket for &mut State {
    fn get(
        &mut self,
        _bucket: Resource<kv_store::Bucket>,
        key: String,
    ) -> Result<Option<Vec<u8>>, kv_store::Error> {
        Ok(self.kv.lock().value_of(&key))
    }

    fn set(
        &mut self,
        _bucket: Resource<kv_store::Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), kv_store::Error> {
        self.first_write();
        self.kv.lock().write(&key, value);
        Ok(())
    }

    fn delete(
        &mut self,
        _bucket: Resource<kv_store::Bucket>,
        key: String,
    ) -> Result<(), kv_store::Error> {
        self.first_write();
        let mut kv = self.kv.lock();
        if kv.entries.remove(&key).is_some() {
            kv.version += 1;
        }
        Ok(())
    }

    fn exists(
        &mut self,
        _bucket: Resource<kv_store::Bucket>,
        key: String,
    ) -> Result<bool, kv_store::Error> {
        Ok(self.kv.lock().entries.contains_key(&key))
    }

    fn list_keys(
        &mut self,
        _bucket: Resource<kv_store::Bucket>,
        _cursor: Option<String>,
    ) -> Result<kv_store::KeyResponse, kv_store::Error> {
        Err(kv_store::Error::Other(
            "list-keys: not in this harness".into(),
        ))
    }

    fn drop(&mut self, bucket: Resource<kv_store::Bucket>) -> wasmtime::Result<()> {
        let _ = bucket;
        Ok(())
    }
}

impl kv_atomics::HostCas for &mut State {
    fn new(
        &mut self,
        _bucket: Resource<kv_atomics::Bucket>,
        key: String,
    ) -> Result<Resource<CasHandle>, kv_store::Error> {
        self.cas_handle(key)
    }

    /// As Spin's SQLite store: the value now, which the swap then compares against.
    fn current(&mut self, cas: Resource<CasHandle>) -> Result<Option<Vec<u8>>, kv_store::Error> {
        let cas = self
            .table
            .get_mut(&cas)
            .map_err(|e| kv_store::Error::Other(e.to_string()))?;
        let kv = self.kv.lock();
        cas.version = kv.version_of(&cas.key);
        cas.value = kv.value_of(&cas.key);
        Ok(cas.value.clone())
    }

    fn drop(&mut self, cas: Resource<CasHandle>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}

impl kv_atomics::Host for &mut State {
    /// As Spin's stores: the value is an i64, little-endian; a missing key counts as 0.
    fn increment(
        &mut self,
        _bucket: Resource<kv_atomics::Bucket>,
        key: String,
        delta: i64,
    ) -> Result<i64, kv_store::Error> {
        self.first_write();
        let mut kv = self.kv.lock();
        let old = match kv.value_of(&key) {
            None => 0,
            Some(bytes) => i64::from_le_bytes(
                bytes
                    .try_into()
                    .map_err(|_| kv_store::Error::Other("not a number".into()))?,
            ),
        };
        let new = old.wrapping_add(delta);
        kv.write(&key, new.to_le_bytes().to_vec());
        Ok(new)
    }

    fn swap(
        &mut self,
        cas: Resource<CasHandle>,
        value: Vec<u8>,
    ) -> Result<(), kv_atomics::CasError> {
        self.first_write();
        let cas = self
            .table
            .delete(cas)
            .map_err(|e| kv_atomics::CasError::StoreError(kv_store::Error::Other(e.to_string())))?;
        {
            let mut kv = self.kv.lock();
            // Spin's SQLite store compares only a key that existed: for one that did not, its
            // swap is an insert that overwrites whatever another writer put there meanwhile.
            if cas.version.is_none() || kv.version_of(&cas.key) == cas.version {
                kv.write(&cas.key, value);
                return Ok(());
            }
        }
        // As the WIT asks: a handle at the latest version, for the retry.
        let fresh = self
            .cas_handle(cas.key)
            .map_err(kv_atomics::CasError::StoreError)?;
        Err(kv_atomics::CasError::CasFailed(fresh))
    }
}
