//! The audit logs of installations and groups.

use async_trait::async_trait;
use voltgate_domain::authz::{ManageGroup, ManagePermissions};
use voltgate_domain::Authorized;

use crate::error::Result;
use crate::model::*;

/// The audit logs of installations and groups.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// An installation's audit log, newest first.
    async fn installation_audit(
        &self,
        on: &Authorized<ManagePermissions>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditEvent>>;
    /// How many events an installation's audit log holds.
    async fn installation_audit_count(&self, on: &Authorized<ManagePermissions>) -> Result<i64>;
    /// The events of an installation's audit log that pass `filter`, newest first.
    async fn installation_audit_filtered(
        &self,
        on: &Authorized<ManagePermissions>,
        filter: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditEvent>>;
    /// How many events of an installation's audit log pass `filter`.
    async fn installation_audit_filtered_count(
        &self,
        on: &Authorized<ManagePermissions>,
        filter: &AuditFilter,
    ) -> Result<i64>;
    /// The people (still with an account) and groups an installation's audit log names.
    async fn installation_audit_names(
        &self,
        on: &Authorized<ManagePermissions>,
    ) -> Result<AuditNames>;
    /// A group's audit log, newest first: its own changes and what was done on installations through
    /// it or about its access.
    async fn group_audit(
        &self,
        on: &Authorized<ManageGroup>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditEvent>>;
    /// How many events a group's audit log holds.
    async fn group_audit_count(&self, on: &Authorized<ManageGroup>) -> Result<i64>;
}
