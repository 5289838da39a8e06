//! Batched lookups: one query for the keys a GraphQL request collected. The API
//! wraps every [`BatchLookup`] in one generic DataLoader, so adding a batched
//! field means adding a lookup here, not another loader type.

use std::collections::HashMap;
use std::hash::Hash;

use crate::{DbConn, StoreResult};

pub trait BatchLookup: Send + Sync + 'static {
    type Key: Send + Sync + Hash + Eq + Clone + 'static;
    type Value: Send + Sync + Clone + 'static;

    /// The values of those `keys` that exist (a missing key is simply absent).
    fn lookup(conn: &mut DbConn, keys: &[Self::Key]) -> impl Future<Output = StoreResult<HashMap<Self::Key, Self::Value>>> + Send;
}
