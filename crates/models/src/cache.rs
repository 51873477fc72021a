//! The on-disk response cache: one redb table from the exact request (URL + JSON body, never the API key) to the
//! endpoint's answer, so re-scoring the same rollouts makes no calls.
//!
//! redb rather than SQLite: it is pure Rust (no C build of the SQLite amalgamation on every clean CI run), has no
//! dependencies, and a key-value table is all the cache needs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use redb::{Database, ReadableDatabase, TableDefinition};

use crate::ModelError;

const RESPONSES: TableDefinition<&str, &str> = TableDefinition::new("responses");

/// An open cache file. Every reward naming the same path in one process shares one handle (redb locks the file).
#[derive(Debug)]
pub struct ResponseCache {
    db: Database,
}

fn cache_error(err: impl std::fmt::Display) -> ModelError {
    ModelError::Cache(err.to_string())
}

impl ResponseCache {
    /// Opens (creating if needed) the cache at `path`, reusing the handle if this process already opened it.
    pub fn open(path: &Path) -> Result<Arc<Self>, ModelError> {
        static OPEN: OnceLock<Mutex<HashMap<PathBuf, Arc<ResponseCache>>>> = OnceLock::new();
        let key = std::path::absolute(path).map_err(cache_error)?;
        let mut open = OPEN
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(cache) = open.get(&key) {
            return Ok(cache.clone());
        }
        if let Some(parent) = key.parent() {
            std::fs::create_dir_all(parent).map_err(|err| cache_error(format!("{}: {err}", parent.display())))?;
        }
        let db = Database::create(&key).map_err(|err| cache_error(format!("{}: {err}", key.display())))?;
        let write = db.begin_write().map_err(cache_error)?;
        write.open_table(RESPONSES).map_err(cache_error)?;
        write.commit().map_err(cache_error)?;
        let cache = Arc::new(Self { db });
        open.insert(key, cache.clone());
        Ok(cache)
    }

    /// The stored answer for a request key.
    pub fn get(&self, key: &str) -> Result<Option<String>, ModelError> {
        let read = self.db.begin_read().map_err(cache_error)?;
        let table = read.open_table(RESPONSES).map_err(cache_error)?;
        let value = table.get(key).map_err(cache_error)?;
        Ok(value.map(|guard| guard.value().to_owned()))
    }

    /// Stores answers, in one transaction.
    pub fn put_many(&self, entries: &[(String, String)]) -> Result<(), ModelError> {
        let write = self.db.begin_write().map_err(cache_error)?;
        {
            let mut table = write.open_table(RESPONSES).map_err(cache_error)?;
            for (key, value) in entries {
                table.insert(key.as_str(), value.as_str()).map_err(cache_error)?;
            }
        }
        write.commit().map_err(cache_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_and_shares_handles() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.redb");
        let cache = ResponseCache::open(&path).unwrap();
        assert_eq!(cache.get("k").unwrap(), None);
        cache.put_many(&[("k".into(), "{\"a\":1}".into())]).unwrap();
        let again = ResponseCache::open(&path).unwrap();
        assert!(Arc::ptr_eq(&cache, &again));
        assert_eq!(again.get("k").unwrap().as_deref(), Some("{\"a\":1}"));
    }
}
