//! The per-unit quality aggregate cache every request shares (held by `AppState`;
//! filled and read by `quality`).

use std::collections::HashMap;

use rust_decimal::Decimal;

/// What `quality::allocate_unit` derives from a unit's bales (premium judged by the season
/// rules): the part worth caching, since it reads every bale of the unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitAggregate {
    /// Σ lint weight of the premium bales, not rounded.
    pub premium_kg: Decimal,
    /// Σ lint weight of all the unit's traced bales.
    pub lint_kg: Decimal,
    pub bales: i64,
    pub premium_bales: i64,
}

/// Per-unit [`UnitAggregate`] cache of one server, keyed by unit id and valid for
/// one `trace_units.quality_rev` (bumped in the same transaction as every write that
/// changes the aggregate, so several servers on one database stay correct; see
/// docs/decisions.md "Unit quality aggregate cache").
#[derive(Default)]
pub struct AggregateCache {
    map: std::sync::Mutex<HashMap<i64, (i64, UnitAggregate)>>,
}

/// Above this many units the cache is emptied (a season at scale 1.0 has ~9,600).
const AGGREGATE_CACHE_MAX: usize = 100_000;

impl AggregateCache {
    pub(crate) fn get(&self, unit_id: i64, rev: i64) -> Option<UnitAggregate> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&unit_id).filter(|(r, _)| *r == rev).map(|(_, a)| *a)
    }

    pub(crate) fn put(&self, unit_id: i64, rev: i64, agg: UnitAggregate) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        // Never replace a newer revision by an older one (a request holding an old row).
        if map.get(&unit_id).is_some_and(|(r, _)| *r > rev) {
            return;
        }
        if map.len() >= AGGREGATE_CACHE_MAX && !map.contains_key(&unit_id) {
            map.clear();
        }
        map.insert(unit_id, (rev, agg));
    }

    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

