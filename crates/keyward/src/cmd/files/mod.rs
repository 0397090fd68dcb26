//! Encrypted config files (issue 19): `keygen`, `encrypt`, `decrypt`, `edit`,
//! `set`, `rekey`, and the git `merge-driver` / `textconv`. The format and
//! cryptography live in keyward-files; this module reads and writes files, finds
//! identities and recipients, and talks to git.

mod commands;
mod git;
mod io;
mod rekey;
mod server;

use clap::{Args, Subcommand};
use std::path::PathBuf;

pub use commands::run;
pub use io::open_for_run;
pub use server::file_recipient;

/// Flattened into the top-level command list.
#[derive(Debug, Subcommand)]
pub enum FilesCmd {
    /// Make an age X25519 identity (file mode 0600) and print its public recipient.
    Keygen(KeygenArgs),
    /// Encrypt a .env, JSON, YAML or TOML file value by value (keys, comments and layout stay readable).
    #[command(after_long_help = ENCRYPT_HELP)]
    Encrypt(EncryptArgs),
    /// Print the plaintext of an encrypted file (after checking its MAC), or of one `keyward:age:v1:` value.
    Decrypt(DecryptArgs),
    /// Edit an encrypted file in $EDITOR; only changed values are re-encrypted.
    Edit(EditArgs),
    /// Set one value in an encrypted file (added when the key is new).
    Set(SetArgs),
    /// Re-encrypt every encrypted file under PATHs, adding or removing recipients.
    Rekey(RekeyArgs),
    /// Git merge driver: merge encrypted files key by key (installed by `encrypt --install-git`).
    MergeDriver(MergeDriverArgs),
    /// Git textconv: print a decrypted view for `git diff` (the file itself if it cannot be decrypted).
    Textconv(TextconvArgs),
}

const ENCRYPT_HELP: &str = "\
Every string value becomes `keyward:age:v1:<base64 age file>`, encrypted to all
recipients; `base64 -d | age -d -i KEYFILE` opens one. Numbers, booleans and nulls in
JSON/YAML/TOML stay in clear. A file MAC (HMAC-SHA256 over the recipients, every key
path and stored value, in order) is written as `# keyward:mac=` (JSON: `_keyward`);
comments and blank lines are outside it.

Recipients: --recipient (repeat), else the nearest .keyward-recipients file (one
age1... per line, # comments) in the file's directory or above. `server:NAME`
names a server recipient (`keyward file-recipient create NAME`): its private key
never leaves the keyward server, which decrypts for the callers its policies
allow (`decrypt --server-recipient NAME`) and audits every decryption.

Examples:
  keyward keygen --out ~/.config/keyward/age.key
  keyward encrypt .env.production --recipient age1...
  keyward encrypt config/secrets.yaml --out config/secrets.enc.yaml
  keyward encrypt --install-git .env.production   # merge driver + diff textconv
  keyward encrypt .env.production --recipient server:team --recipient age1...";

/// Where identities come from.
#[derive(Debug, Clone, Args)]
pub struct IdentityArgs {
    /// Age identity file (AGE-SECRET-KEY-1...); repeat for several. Default:
    /// $KEYWARD_AGE_IDENTITY_FILE, else ~/.config/keyward/age.key.
    #[arg(long, short = 'i', value_name = "KEYFILE")]
    pub identity: Vec<PathBuf>,
    /// Also decrypt through this server recipient (`keyward file-recipient create`):
    /// the server opens what was encrypted to it, under its policies, and audits it.
    /// Needs KEYWARD_ADDR and credentials.
    #[arg(long, value_name = "NAME", env = "KEYWARD_AGE_SERVER_RECIPIENT")]
    pub server_recipient: Option<String>,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the identity (default ~/.config/keyward/age.key).
    #[arg(long, short = 'o', value_name = "KEYFILE")]
    pub out: Option<PathBuf>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
    /// Print {"recipient", "identity_file"} as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EncryptArgs {
    /// The plaintext file; encrypted in place unless --out is given.
    #[arg(required_unless_present = "install_git")]
    pub file: Option<PathBuf>,
    /// An age recipient (age1...), or `server:NAME` for a server recipient; repeat for several.
    #[arg(long, short = 'r', value_name = "RECIPIENT")]
    pub recipient: Vec<String>,
    /// Write the encrypted file here instead of replacing FILE.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// env, json, yaml or toml (default: from the file name; anything else is .env).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Configure git in this repository: the `keyward` merge driver and diff
    /// textconv, and a .gitattributes line for FILE (or for *.enc.* without FILE).
    #[arg(long)]
    pub install_git: bool,
}

#[derive(Debug, Args)]
pub struct DecryptArgs {
    /// The encrypted file ("-" for standard input). A file holding a single
    /// `keyward:age:v1:` value prints that value.
    pub file: PathBuf,
    #[command(flatten)]
    pub ids: IdentityArgs,
    /// Write the plaintext to this file (mode 0600) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// env, json, yaml or toml (default: from the file name).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Print {"path": "value", ...} as JSON instead of the file.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    pub file: PathBuf,
    #[command(flatten)]
    pub ids: IdentityArgs,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    pub file: PathBuf,
    /// The key: `NAME` in .env, a dotted path (`db.password`) in JSON/YAML/TOML.
    pub key: String,
    /// The value (prefer --stdin: arguments show up in `ps` and shell history).
    #[arg(required_unless_present = "stdin")]
    pub value: Option<String>,
    /// Read the value from standard input (one trailing newline is dropped).
    #[arg(long, conflicts_with = "value")]
    pub stdin: bool,
    #[command(flatten)]
    pub ids: IdentityArgs,
}

#[derive(Debug, Args)]
#[command(after_long_help = "\
Removing a recipient re-encrypts every value and a new MAC key to the remaining
recipients. The removed party can still read every old version in git history:
keyward lists the secrets to rotate in the store because of it.

Examples:
  keyward rekey --add-recipient age1new...
  keyward rekey config/ --remove-recipient age1old... --dry-run")]
pub struct RekeyArgs {
    /// Files or directories to search for encrypted files (default: .).
    pub paths: Vec<PathBuf>,
    /// Add this recipient (age1... or server:NAME) to every file; repeat for several.
    #[arg(long, value_name = "RECIPIENT")]
    pub add_recipient: Vec<String>,
    /// Remove this recipient (age1... or server:NAME) from every file; repeat for several.
    #[arg(long, value_name = "RECIPIENT")]
    pub remove_recipient: Vec<String>,
    /// Show what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub ids: IdentityArgs,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct MergeDriverArgs {
    /// %O: the common ancestor's version.
    pub base: PathBuf,
    /// %A: our version; the merge result is written here.
    pub ours: PathBuf,
    /// %B: their version.
    pub theirs: PathBuf,
    /// %P: the file's path in the repository (picks the format).
    pub path: Option<PathBuf>,
    #[command(flatten)]
    pub ids: IdentityArgs,
}

#[derive(Debug, Args)]
pub struct TextconvArgs {
    pub file: PathBuf,
    #[command(flatten)]
    pub ids: IdentityArgs,
}
