//! The national reference data every database needs before it serves: the fee tables and
//! the holidays, bundled from `data/` into the binary and written once, when the database
//! has none, right after the migrations.

use loket_domain::calendar::parse_holidays_csv;
use loket_domain::catalogue::FeeTable;

use crate::error::corrupt;
use crate::{Actor, Store, StoreResult};

const HOLIDAYS_CSV: &str = include_str!("../../../data/holidays.csv");
const FEES_JSON: &str = include_str!("../../../data/fees.json");

/// Seeds the fee tables and holidays if the database has none. A malformed bundled file
/// (a bug in the repository) is `StoreError::Corrupt`.
pub async fn seed_reference_data(store: &dyn Store) -> StoreResult<()> {
    if store.fee_tables().await?.is_empty() {
        let tables: Vec<FeeTable> = serde_json::from_str(FEES_JSON)
            .map_err(|e| corrupt(&format!("bundled fees.json: {e}")))?;
        store.put_fee_tables(&tables).await?;
    }
    let holidays = parse_holidays_csv(HOLIDAYS_CSV)
        .map_err(|e| corrupt(&format!("bundled holidays.csv: {e}")))?;
    let (Some(first), Some(last)) = (holidays.first(), holidays.last()) else {
        return Ok(());
    };
    if store.list_holidays(first.date, last.date).await?.is_empty() {
        store.upsert_holidays(&holidays, &Actor::system()).await?;
    }
    Ok(())
}
