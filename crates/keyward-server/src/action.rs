//! Every action the server authorizes or audits, in one table: its IAM name (what
//! policies match and audit records carry), the AWS operation that serves it (for
//! `X-Amz-Target` dispatch), what kind of access it is, what it acts on, and
//! whether it changes identities or policies (which clears the auth cache).
//!
//! Handlers name an [`Action`] once; authorization, the audit record and cache
//! invalidation all read it from there, so the three cannot drift apart.

/// Which service an action belongs to: the prefix of its IAM name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    SecretsManager,
    Ssm,
    Iam,
    Sts,
    CloudTrail,
    Keyward,
}

impl Service {
    /// The IAM prefix (`secretsmanager` in `secretsmanager:GetSecretValue`).
    pub const fn prefix(self) -> &'static str {
        match self {
            Service::SecretsManager => "secretsmanager",
            Service::Ssm => "ssm",
            Service::Iam => "iam",
            Service::Sts => "sts",
            Service::CloudTrail => "cloudtrail",
            Service::Keyward => "keyward",
        }
    }
}

/// The access level of an action, as AWS's service authorization reference
/// classifies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    List,
    Write,
    /// Changes who may do what (policies, attachments).
    Permissions,
}

/// What an action acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Secret,
    Parameter,
    Principal,
    AccessKey,
    Policy,
    AuditLog,
    /// The server itself: seal state, root key, backups, alert sinks.
    Server,
    FileRecipient,
    /// No resource (`*`), e.g. GetRandomPassword.
    None,
}

/// Whether the AWS JSON protocol serves the action (`X-Amz-Target: <svc>.<Op>`
/// with `Op` the part of the name after `:`).
const AWS: bool = true;
/// Native API or server-initiated work only.
const NATIVE: bool = false;
/// Changes identities or policies: the auth cache is cleared when it commits.
const AUTH: bool = true;
const DATA: bool = false;

macro_rules! actions {
    ($($variant:ident => $name:literal, $service:ident, $aws:ident, $access:ident, $resource:ident, $auth:ident;)*) => {
        /// An action the server authorizes or audits. See the module docs.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $($variant,)*
        }

        impl Action {
            /// Every action, in table order.
            pub const ALL: &[Action] = &[$(Action::$variant,)*];

            /// The IAM action name: what policies match and audit records carry.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Action::$variant => $name,)*
                }
            }

            pub const fn service(self) -> Service {
                match self {
                    $(Action::$variant => Service::$service,)*
                }
            }

            /// Whether `X-Amz-Target` dispatch serves this action.
            const fn served_on_aws(self) -> bool {
                match self {
                    $(Action::$variant => $aws,)*
                }
            }

            pub const fn access(self) -> Access {
                match self {
                    $(Action::$variant => Access::$access,)*
                }
            }

            pub const fn resource(self) -> Resource {
                match self {
                    $(Action::$variant => Resource::$resource,)*
                }
            }

            /// Whether committing this action changes identities or policies, so
            /// that cached callers (principal, policies) must be dropped.
            pub const fn invalidates_auth(self) -> bool {
                match self {
                    $(Action::$variant => $auth,)*
                }
            }
        }
    };
}

actions! {
    // Secrets Manager, as served on the AWS API (and reused by the native API).
    CreateSecret => "secretsmanager:CreateSecret", SecretsManager, AWS, Write, Secret, DATA;
    GetSecretValue => "secretsmanager:GetSecretValue", SecretsManager, AWS, Read, Secret, DATA;
    BatchGetSecretValue => "secretsmanager:BatchGetSecretValue", SecretsManager, AWS, Read, Secret, DATA;
    PutSecretValue => "secretsmanager:PutSecretValue", SecretsManager, AWS, Write, Secret, DATA;
    UpdateSecret => "secretsmanager:UpdateSecret", SecretsManager, AWS, Write, Secret, DATA;
    DescribeSecret => "secretsmanager:DescribeSecret", SecretsManager, AWS, Read, Secret, DATA;
    ListSecrets => "secretsmanager:ListSecrets", SecretsManager, AWS, List, Secret, DATA;
    ListSecretVersionIds => "secretsmanager:ListSecretVersionIds", SecretsManager, AWS, Read, Secret, DATA;
    UpdateSecretVersionStage => "secretsmanager:UpdateSecretVersionStage", SecretsManager, AWS, Write, Secret, DATA;
    DeleteSecret => "secretsmanager:DeleteSecret", SecretsManager, AWS, Write, Secret, DATA;
    RestoreSecret => "secretsmanager:RestoreSecret", SecretsManager, AWS, Write, Secret, DATA;
    TagResource => "secretsmanager:TagResource", SecretsManager, AWS, Write, Secret, DATA;
    UntagResource => "secretsmanager:UntagResource", SecretsManager, AWS, Write, Secret, DATA;
    RotateSecret => "secretsmanager:RotateSecret", SecretsManager, AWS, Write, Secret, DATA;
    CancelRotateSecret => "secretsmanager:CancelRotateSecret", SecretsManager, AWS, Write, Secret, DATA;
    GetRandomPassword => "secretsmanager:GetRandomPassword", SecretsManager, AWS, Read, None, DATA;
    PutResourcePolicy => "secretsmanager:PutResourcePolicy", SecretsManager, AWS, Permissions, Secret, AUTH;
    GetResourcePolicy => "secretsmanager:GetResourcePolicy", SecretsManager, AWS, Read, Secret, DATA;
    DeleteResourcePolicy => "secretsmanager:DeleteResourcePolicy", SecretsManager, AWS, Permissions, Secret, AUTH;
    ValidateResourcePolicy => "secretsmanager:ValidateResourcePolicy", SecretsManager, AWS, Permissions, Secret, DATA;
    ReplicateSecretToRegions => "secretsmanager:ReplicateSecretToRegions", SecretsManager, AWS, Write, Secret, DATA;
    RemoveRegionsFromReplication => "secretsmanager:RemoveRegionsFromReplication", SecretsManager, AWS, Write, Secret, DATA;
    StopReplicationToReplica => "secretsmanager:StopReplicationToReplica", SecretsManager, AWS, Write, Secret, DATA;
    // A primary's change copied to its replicas by the server itself.
    ReplicateSecretVersion => "secretsmanager:ReplicateSecretVersion", SecretsManager, NATIVE, Write, Secret, DATA;

    // SSM Parameter Store.
    PutParameter => "ssm:PutParameter", Ssm, AWS, Write, Parameter, DATA;
    DeleteParameter => "ssm:DeleteParameter", Ssm, AWS, Write, Parameter, DATA;
    DeleteParameters => "ssm:DeleteParameters", Ssm, AWS, Write, Parameter, DATA;
    LabelParameterVersion => "ssm:LabelParameterVersion", Ssm, AWS, Write, Parameter, DATA;
    UnlabelParameterVersion => "ssm:UnlabelParameterVersion", Ssm, AWS, Write, Parameter, DATA;
    GetParameter => "ssm:GetParameter", Ssm, AWS, Read, Parameter, DATA;
    GetParameters => "ssm:GetParameters", Ssm, AWS, Read, Parameter, DATA;
    GetParametersByPath => "ssm:GetParametersByPath", Ssm, AWS, Read, Parameter, DATA;
    GetParameterHistory => "ssm:GetParameterHistory", Ssm, AWS, Read, Parameter, DATA;
    DescribeParameters => "ssm:DescribeParameters", Ssm, AWS, List, Parameter, DATA;
    AddTagsToResource => "ssm:AddTagsToResource", Ssm, AWS, Write, Parameter, DATA;
    RemoveTagsFromResource => "ssm:RemoveTagsFromResource", Ssm, AWS, Write, Parameter, DATA;
    ListTagsForResource => "ssm:ListTagsForResource", Ssm, AWS, Read, Parameter, DATA;

    // Identities (native API, break-glass and rotations' temporary principals).
    CreateUser => "iam:CreateUser", Iam, NATIVE, Write, Principal, AUTH;
    ListUsers => "iam:ListUsers", Iam, NATIVE, List, Principal, DATA;
    GetUser => "iam:GetUser", Iam, NATIVE, Read, Principal, DATA;
    DeleteUser => "iam:DeleteUser", Iam, NATIVE, Write, Principal, AUTH;
    // Tags on a principal feed `aws:PrincipalTag` conditions, so they are a grant.
    TagUser => "iam:TagUser", Iam, NATIVE, Write, Principal, AUTH;
    CreateAccessKey => "iam:CreateAccessKey", Iam, NATIVE, Write, AccessKey, AUTH;
    DeleteAccessKey => "iam:DeleteAccessKey", Iam, NATIVE, Write, AccessKey, AUTH;
    ListPolicies => "iam:ListPolicies", Iam, NATIVE, List, Policy, DATA;
    GetPolicy => "iam:GetPolicy", Iam, NATIVE, Read, Policy, DATA;
    CreatePolicy => "iam:CreatePolicy", Iam, NATIVE, Permissions, Policy, AUTH;
    // Replacing a policy that exists (AWS: a new default version of it).
    CreatePolicyVersion => "iam:CreatePolicyVersion", Iam, NATIVE, Permissions, Policy, AUTH;
    PutPolicy => "iam:PutPolicy", Iam, NATIVE, Permissions, Policy, AUTH;
    DeletePolicy => "iam:DeletePolicy", Iam, NATIVE, Permissions, Policy, AUTH;
    AttachUserPolicy => "iam:AttachUserPolicy", Iam, NATIVE, Permissions, Principal, AUTH;
    DetachUserPolicy => "iam:DetachUserPolicy", Iam, NATIVE, Permissions, Principal, AUTH;
    EnableMfaDevice => "iam:EnableMFADevice", Iam, NATIVE, Write, Principal, DATA;
    GetSessionToken => "sts:GetSessionToken", Sts, NATIVE, Read, Principal, DATA;

    // The audit log.
    LookupEvents => "cloudtrail:LookupEvents", CloudTrail, NATIVE, Read, AuditLog, DATA;
    VerifyAudit => "keyward:VerifyAudit", Keyward, NATIVE, Read, AuditLog, DATA;
    // Failed authentications folded into one record (see `auth_limit`).
    AuthenticationFailures => "keyward:AuthenticationFailures", Keyward, NATIVE, Read, Server, DATA;

    // Seal state, root key, recovery, backups.
    Unseal => "keyward:Unseal", Keyward, NATIVE, Write, Server, DATA;
    Seal => "keyward:Seal", Keyward, NATIVE, Write, Server, DATA;
    RotateRootKey => "keyward:RotateRootKey", Keyward, NATIVE, Write, Server, DATA;
    RekeyShares => "keyward:RekeyShares", Keyward, NATIVE, Write, Server, DATA;
    BreakGlass => "keyward:BreakGlass", Keyward, NATIVE, Write, Principal, AUTH;
    CreateBackup => "keyward:CreateBackup", Keyward, NATIVE, Read, Server, DATA;
    RestoreFromBackup => "keyward:RestoreSecret", Keyward, NATIVE, Write, Secret, DATA;

    // Rotation engine records.
    RotationStarted => "keyward:RotationStarted", Keyward, NATIVE, Write, Secret, DATA;
    RotationFailed => "keyward:RotationFailed", Keyward, NATIVE, Write, Secret, DATA;
    RotationCancelled => "keyward:RotationCancelled", Keyward, NATIVE, Write, Secret, DATA;
    PutRotationConfig => "keyward:PutRotationConfig", Keyward, NATIVE, Write, Secret, DATA;
    RotationDryRun => "keyward:RotationDryRun", Keyward, NATIVE, Read, Secret, DATA;
    RotationStepCreate => "keyward:RotationStep/createSecret", Keyward, NATIVE, Write, Secret, DATA;
    RotationStepSet => "keyward:RotationStep/setSecret", Keyward, NATIVE, Write, Secret, DATA;
    RotationStepTest => "keyward:RotationStep/testSecret", Keyward, NATIVE, Write, Secret, DATA;
    RotationStepFinish => "keyward:RotationStep/finishSecret", Keyward, NATIVE, Write, Secret, DATA;

    // Alerts, leaks and scanning.
    ListAlerts => "keyward:ListAlerts", Keyward, NATIVE, List, Server, DATA;
    TestAlertSink => "keyward:TestAlertSink", Keyward, NATIVE, Write, Server, DATA;
    ReportLeaks => "keyward:ReportLeaks", Keyward, NATIVE, Write, Secret, DATA;
    LeakDetected => "keyward:LeakDetected", Keyward, NATIVE, Write, Secret, DATA;
    GetSecretFingerprint => "keyward:GetSecretFingerprint", Keyward, NATIVE, Read, Secret, DATA;
    GetSecretFingerprints => "keyward:GetSecretFingerprints", Keyward, NATIVE, List, Secret, DATA;

    // Encrypted files' server recipients.
    CreateFileRecipient => "keyward:CreateFileRecipient", Keyward, NATIVE, Write, FileRecipient, DATA;
    ListFileRecipients => "keyward:ListFileRecipients", Keyward, NATIVE, List, FileRecipient, DATA;
    GetFileRecipient => "keyward:GetFileRecipient", Keyward, NATIVE, Read, FileRecipient, DATA;
    DecryptFile => "keyward:DecryptFile", Keyward, NATIVE, Read, FileRecipient, DATA;
}

impl Action {
    /// The AWS operation serving this action (`GetSecretValue`), if the AWS API
    /// serves it.
    pub fn aws_operation(self) -> Option<&'static str> {
        if !self.served_on_aws() {
            return None;
        }
        self.name().split_once(':').map(|(_, op)| op)
    }

    /// The action `X-Amz-Target: <service>.<operation>` asks for.
    pub fn from_aws(service: Service, operation: &str) -> Option<Action> {
        Action::ALL
            .iter()
            .copied()
            .find(|a| a.service() == service && a.aws_operation() == Some(operation))
    }

    /// The action of an IAM action name, exactly as spelt in the table.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// Whether the action writes anything (data, identities or policies).
    pub fn is_write(self) -> bool {
        matches!(self.access(), Access::Write | Access::Permissions)
    }

    /// The action policies are asked about when a request is audited as `self`:
    /// the rotation records of the native API are authorized as the AWS actions
    /// they stand for.
    pub fn authorized_as(self) -> Action {
        match self {
            Action::PutRotationConfig => Action::RotateSecret,
            Action::RotationCancelled => Action::CancelRotateSecret,
            other => other,
        }
    }

    /// Whether a successful action changes a primary secret in a way its
    /// replicas copy (value, stages, description, tags, rotation). Creating,
    /// deleting and restoring, the replication operations themselves and resource
    /// policies (each replica keeps its own) are not copied.
    pub fn changes_replicas(self) -> bool {
        self.service() == Service::SecretsManager
            && self.access() == Access::Write
            && !matches!(
                self,
                Action::CreateSecret
                    | Action::DeleteSecret
                    | Action::RestoreSecret
                    | Action::ReplicateSecretToRegions
                    | Action::RemoveRegionsFromReplication
                    | Action::StopReplicationToReplica
                    | Action::ReplicateSecretVersion
            )
    }

    /// The record of one completed rotation step.
    pub fn rotation_step(step: keyward_rotate::Step) -> Action {
        use keyward_rotate::Step;
        match step {
            Step::CreateSecret => Action::RotationStepCreate,
            Step::SetSecret => Action::RotationStepSet,
            Step::TestSecret => Action::RotationStepTest,
            Step::FinishSecret => Action::RotationStepFinish,
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_prefixed_by_their_service() {
        let mut seen = HashSet::new();
        for a in Action::ALL {
            assert!(seen.insert(a.name()), "{a:?}: duplicate name {}", a.name());
            let (prefix, rest) = a.name().split_once(':').expect("service:Name");
            assert_eq!(prefix, a.service().prefix(), "{a:?}");
            assert!(!rest.is_empty(), "{a:?}");
            assert_eq!(Action::from_name(a.name()), Some(*a));
        }
        assert_eq!(Action::from_name("secretsmanager:Nope"), None);
    }

    #[test]
    fn every_name_is_a_policy_action_that_matches_itself_only() {
        for a in Action::ALL {
            let doc = serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": a.name(), "Resource": "*"}]
            })
            .to_string();
            let policy = keyward_policy::Policy::parse(&doc)
                .unwrap_or_else(|e| panic!("{a:?} is not a policy action: {e}"));
            for b in Action::ALL {
                let ctx = keyward_policy::RequestContext::new(
                    b.name(),
                    "arn:aws:secretsmanager:us-east-1:000000000000:secret:x",
                    "arn:aws:iam::000000000000:user/u",
                    "000000000000",
                );
                let allowed = keyward_policy::evaluate(&[&policy], None, &ctx)
                    == keyward_policy::Decision::Allow;
                assert_eq!(allowed, a == b, "{a:?} allowing {b:?}");
            }
        }
    }

    #[test]
    fn aws_dispatch_round_trips() {
        let mut served = 0;
        for a in Action::ALL {
            if let Some(op) = a.aws_operation() {
                served += 1;
                assert!(matches!(
                    a.service(),
                    Service::SecretsManager | Service::Ssm
                ));
                assert_eq!(Action::from_aws(a.service(), op), Some(*a), "{a:?}");
            }
        }
        // 23 Secrets Manager and 13 Parameter Store operations.
        assert_eq!(served, 36);
        assert_eq!(
            Action::from_aws(Service::SecretsManager, "GetSecretValue"),
            Some(Action::GetSecretValue)
        );
        assert_eq!(Action::from_aws(Service::Ssm, "GetSecretValue"), None);
        assert_eq!(
            Action::from_aws(Service::SecretsManager, "ReplicateSecretVersion"),
            None,
            "server-initiated only"
        );
        assert_eq!(
            Action::from_aws(Service::SecretsManager, "getSecretValue"),
            None
        );
    }

    #[test]
    fn replicas_copy_exactly_the_changes_to_a_primary() {
        let copied: Vec<_> = Action::ALL
            .iter()
            .filter(|a| a.changes_replicas())
            .map(|a| a.aws_operation().expect("an AWS operation"))
            .collect();
        assert_eq!(
            copied,
            [
                "PutSecretValue",
                "UpdateSecret",
                "UpdateSecretVersionStage",
                "TagResource",
                "UntagResource",
                "RotateSecret",
                "CancelRotateSecret",
            ]
        );
    }

    #[test]
    fn rotation_steps_keep_their_record_names() {
        for step in keyward_rotate::Step::ALL {
            assert_eq!(
                Action::rotation_step(step).name(),
                format!("keyward:RotationStep/{step}")
            );
        }
    }

    #[test]
    fn identity_and_policy_changes_clear_the_auth_cache() {
        for a in Action::ALL {
            if a.invalidates_auth() {
                assert!(a.is_write(), "{a:?}");
            }
        }
        for a in [
            Action::CreateUser,
            Action::DeleteUser,
            Action::CreateAccessKey,
            Action::DeleteAccessKey,
            Action::CreatePolicy,
            Action::CreatePolicyVersion,
            Action::PutPolicy,
            Action::DeletePolicy,
            Action::AttachUserPolicy,
            Action::DetachUserPolicy,
        ] {
            assert!(a.invalidates_auth(), "{a:?}");
        }
        assert!(!Action::PutSecretValue.invalidates_auth());
    }
}
