//! SLA policies: ordered, the first whose conditions match a ticket applies; targets per
//! priority; versions in effect from an instant on.

use sanjeh_domain::{Channel, Id, Kind, Millis, Priority};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether a target counts business hours (the ticket's schedule) or every hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hours {
    #[default]
    Business,
    Calendar,
}

/// One promise: this many minutes of counted time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub minutes: u32,
    #[serde(default)]
    pub hours: Hours,
}

impl Target {
    pub fn ms(&self) -> i64 {
        i64::from(self.minutes) * 60_000
    }
}

/// The targets for one priority; a missing one is not promised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// From the customer's ticket to the first public agent reply.
    pub first_reply: Option<Target>,
    /// From each public customer message (after the first reply) to the next public agent reply.
    pub next_reply: Option<Target>,
    /// Between public agent replies while the ticket is unsolved; paused in pending and on hold.
    pub periodic_update: Option<Target>,
    /// From creation to solved, as the requester waits: paused while pending.
    pub resolution: Option<Target>,
}

/// Which tickets a policy is for. Every listed condition must hold; an empty list holds for
/// every ticket.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Conditions {
    pub priorities: Vec<Priority>,
    pub channels: Vec<Channel>,
    pub groups: Vec<Id>,
    pub organizations: Vec<Id>,
    pub kinds: Vec<Kind>,
    /// The ticket carries at least one of these tags.
    pub tags_any: Vec<String>,
    /// The ticket carries all of these tags.
    pub tags_all: Vec<String>,
}

/// What a ticket is, as far as policies look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketAttrs {
    pub priority: Priority,
    pub channel: Channel,
    pub group: Option<Id>,
    pub organization: Option<Id>,
    pub kind: Option<Kind>,
    pub tags: Vec<String>,
}

impl Conditions {
    pub fn matches(&self, t: &TicketAttrs) -> bool {
        fn listed<T: PartialEq>(list: &[T], value: Option<&T>) -> bool {
            list.is_empty() || value.is_some_and(|v| list.contains(v))
        }
        listed(&self.priorities, Some(&t.priority))
            && listed(&self.channels, Some(&t.channel))
            && listed(&self.groups, t.group.as_ref())
            && listed(&self.organizations, t.organization.as_ref())
            && listed(&self.kinds, t.kind.as_ref())
            && (self.tags_any.is_empty() || self.tags_any.iter().any(|x| t.tags.contains(x)))
            && self.tags_all.iter().all(|x| t.tags.contains(x))
    }
}

/// One SLA policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub conditions: Conditions,
    /// Targets per priority; a priority not listed has no targets under this policy.
    pub targets: BTreeMap<Priority, Targets>,
}

/// A policy set that cannot be used, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PolicyError {
    pub field: String,
    pub message: String,
}

fn invalid(field: String, message: &str) -> PolicyError {
    PolicyError {
        field,
        message: message.to_owned(),
    }
}

/// The ordered policies in effect from `since` on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub since: Millis,
    pub policies: Vec<Policy>,
}

/// Every version of the policies, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PolicySet {
    versions: Vec<Version>,
}

impl PolicySet {
    /// A set whose only version is in effect since forever.
    pub fn new(policies: Vec<Policy>) -> Result<PolicySet, PolicyError> {
        let mut set = PolicySet::default();
        set.publish(Millis::MIN, policies)?;
        Ok(set)
    }

    /// Makes `policies` the ones in effect from `since` on. Versions only go forward: history
    /// keeps the policies it was measured against.
    pub fn publish(&mut self, since: Millis, policies: Vec<Policy>) -> Result<(), PolicyError> {
        validate(&policies)?;
        if let Some(last) = self.versions.last()
            && since <= last.since
        {
            return Err(invalid(
                "since".into(),
                "a new version of the policies must start after the current one",
            ));
        }
        self.versions.push(Version { since, policies });
        Ok(())
    }

    /// The policies in effect at `at`.
    pub fn at(&self, at: Millis) -> &[Policy] {
        let i = self.versions.partition_point(|v| v.since <= at);
        match i {
            0 => &[],
            _ => &self.versions[i - 1].policies,
        }
    }

    /// The first policy in effect at `at` whose conditions the ticket meets.
    pub fn matching(&self, at: Millis, ticket: &TicketAttrs) -> Option<&Policy> {
        self.at(at).iter().find(|p| p.conditions.matches(ticket))
    }

    pub fn versions(&self) -> &[Version] {
        &self.versions
    }
}

fn validate(policies: &[Policy]) -> Result<(), PolicyError> {
    for (i, p) in policies.iter().enumerate() {
        let at = |field: &str| format!("policies[{i}].{field}");
        if p.id.trim().is_empty() {
            return Err(invalid(at("id"), "must not be empty"));
        }
        if policies[..i].iter().any(|q| q.id == p.id) {
            return Err(invalid(at("id"), "used by an earlier policy"));
        }
        if p.targets.is_empty() {
            return Err(invalid(
                at("targets"),
                "a policy needs targets for a priority",
            ));
        }
        for (priority, targets) in &p.targets {
            let all = [
                ("first_reply", targets.first_reply),
                ("next_reply", targets.next_reply),
                ("periodic_update", targets.periodic_update),
                ("resolution", targets.resolution),
            ];
            for (name, target) in all {
                if target.is_some_and(|t| t.minutes == 0) {
                    return Err(invalid(
                        at(&format!("targets.{priority}.{name}.minutes")),
                        "must be at least 1",
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(priority: Priority, tags: &[&str]) -> TicketAttrs {
        TicketAttrs {
            priority,
            channel: Channel::Email,
            group: None,
            organization: None,
            kind: None,
            tags: tags.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn policy(id: &str, json: &str) -> Policy {
        let mut p: Policy = serde_json::from_str(json).unwrap();
        p.id = id.into();
        p
    }

    #[test]
    fn first_matching_policy_wins_and_versions_apply_from_their_instant() {
        let vip = policy(
            "vip",
            r#"{"id":"","name":"VIP","conditions":{"tags_any":["vip"]},
                "targets":{"urgent":{"first_reply":{"minutes":15}}}}"#,
        );
        let all = policy(
            "all",
            r#"{"id":"","name":"Everyone","targets":{"normal":{"first_reply":{"minutes":240,"hours":"calendar"}}}}"#,
        );
        let mut set = PolicySet::new(vec![vip.clone(), all.clone()]).unwrap();
        let t = attrs(Priority::Urgent, &["vip"]);
        assert_eq!(set.matching(0, &t).map(|p| p.id.as_str()), Some("vip"));
        assert_eq!(
            set.matching(0, &attrs(Priority::Low, &[]))
                .map(|p| p.id.as_str()),
            Some("all")
        );
        set.publish(1_000, vec![all]).unwrap();
        assert_eq!(set.matching(999, &t).map(|p| p.id.as_str()), Some("vip"));
        assert_eq!(set.matching(1_000, &t).map(|p| p.id.as_str()), Some("all"));
        assert!(
            set.publish(1_000, vec![]).is_err(),
            "versions only go forward"
        );
    }

    #[test]
    fn invalid_policies_name_the_field() {
        let bad = policy(
            "p",
            r#"{"id":"","name":"x","targets":{"high":{"resolution":{"minutes":0}}}}"#,
        );
        let e = PolicySet::new(vec![bad]).unwrap_err();
        assert_eq!(e.field, "policies[0].targets.high.resolution.minutes");
        let unknown = serde_json::from_str::<Policy>(
            r#"{"id":"a","name":"x","targets":{"normal":{"first_reply":{"minutes":5,"hours":"lunar"}}}}"#,
        );
        assert!(unknown.is_err());
    }
}
