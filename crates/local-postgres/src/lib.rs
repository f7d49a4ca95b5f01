//! Development and test tooling around the machine's PostgreSQL binaries, kept out of the
//! store adapter: the cluster in a folder of our own that `aidstation serve` starts when no
//! DATABASE_URL is given, and (feature `testing`) throwaway clusters and per-test databases.

mod cluster;
#[cfg(feature = "testing")]
pub mod testing;

pub use cluster::{ClusterUse, Durability, LocalCluster, LocalClusterError, PgBinaries};
