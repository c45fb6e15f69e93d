//! Spin's `default` key-value store for the harness: versioned entries with a real
//! compare-and-swap, another writer a test may set on it, and the `wasi:keyvalue` host
//! functions over it.

use super::*;

/// The `default` store: its contents, each key with a version (what compare-and-swap
/// compares), how often a request opened it, and the other writer a test may set on it.
#[derive(Clone, Default)]
pub struct Kv {
    inner: Arc<Mutex<KvInner>>,
    opens: Arc<AtomicUsize>,
}

#[derive(Default)]
pub struct KvInner {
    entries: HashMap<String, Versioned>,
    /// The version of the last write: versions only grow, so a key deleted and written again
    /// has changed too.
    version: u64,
    /// Swaps refused because the key had changed since the handle was made.
    cas_failures: usize,
    interference: Option<Interference>,
    /// Answers swaps as Spin's Redis store does (3.x-4.0): a swap that went through is
    /// reported as failed, one that was refused as done (its `UNWATCH` with an argument always
    /// errs; an aborted `EXEC` reads as success).
    misreports: bool,
}

pub struct Versioned {
    value: Vec<u8>,
    version: u64,
}

/// A check as the app stores it: when it began and its tag.
pub type Held = (u64, u64);

/// What the other writer does to the list of checks it finds.
pub type OtherWrite = Box<dyn FnMut(&mut Vec<Held>) + Send>;

/// Another writer (another instance or replica of the app) that changes `key` just before
/// swaps on it: the `skip` first swaps go through untouched, the next `times` each meet its
/// write. Its value is a list of check times, as the app writes.
pub struct Interference {
    key: String,
    skip: usize,
    times: usize,
    write: OtherWrite,
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

    /// The other writer's turn, if this swap on `key` is one it meets.
    fn interfere(&mut self, key: &str) {
        let Some(other) = self.interference.as_mut().filter(|i| i.key == key) else {
            return;
        };
        if other.skip > 0 {
            other.skip -= 1;
            return;
        }
        if other.times == 0 {
            return;
        }
        other.times -= 1;
        let mut held: Vec<Held> = self
            .entries
            .get(key)
            .and_then(|e| serde_json::from_slice(&e.value).ok())
            .unwrap_or_default();
        (other.write)(&mut held);
        let value = serde_json::to_vec(&held).unwrap();
        self.write(key, value);
    }
}

impl Kv {
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

    /// When the checks held under `key` began (it must hold the app's JSON list).
    pub fn times(&self, key: &str) -> Vec<u64> {
        let value = self
            .lock()
            .value_of(key)
            .unwrap_or_else(|| panic!("no {key}"));
        let held: Vec<Held> = serde_json::from_slice(&value).unwrap();
        held.into_iter().map(|(at, _)| at).collect()
    }

    /// A store that answers swaps as Spin's Redis store does: see [`KvInner::misreports`].
    pub fn misreporting() -> Self {
        let kv = Kv::default();
        kv.lock().misreports = true;
        kv
    }

    pub fn cas_failures(&self) -> usize {
        self.lock().cas_failures
    }

    /// Sets the other writer: see [`Interference`].
    pub fn interfere(
        &self,
        key: &str,
        skip: usize,
        times: usize,
        write: impl FnMut(&mut Vec<Held>) + Send + 'static,
    ) {
        self.lock().interference = Some(Interference {
            key: key.to_owned(),
            skip,
            times,
            write: Box::new(write),
        });
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
        self.kv.lock().write(&key, value);
        Ok(())
    }

    fn delete(
        &mut self,
        _bucket: Resource<kv_store::Bucket>,
        key: String,
    ) -> Result<(), kv_store::Error> {
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

    fn current(&mut self, cas: Resource<CasHandle>) -> Result<Option<Vec<u8>>, kv_store::Error> {
        let cas = self
            .table
            .get(&cas)
            .map_err(|e| kv_store::Error::Other(e.to_string()))?;
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
        let cas = self
            .table
            .delete(cas)
            .map_err(|e| kv_atomics::CasError::StoreError(kv_store::Error::Other(e.to_string())))?;
        {
            let mut kv = self.kv.lock();
            kv.interfere(&cas.key);
            let unchanged = kv.version_of(&cas.key) == cas.version;
            if unchanged {
                kv.write(&cas.key, value);
            } else {
                kv.cas_failures += 1;
            }
            if unchanged != kv.misreports {
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
