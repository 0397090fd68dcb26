/// Errors from the client, named after the seed's error classes.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    #[error("SecretNotFound: {message}")]
    SecretNotFound { name: String, message: String },
    #[error("AccessDenied: {message}")]
    AccessDenied { message: String },
    #[error("not authenticated: {message}")]
    Unauthenticated { message: String },
    #[error("ConfigValidation: {0}")]
    ConfigValidation(String),
    #[error("{message} ({code}, HTTP {status})")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    #[error("{0}")]
    Transport(String),
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Decode(String),
}
