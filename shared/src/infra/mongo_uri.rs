//! `mongodb+srv://` connection strings and their standard form.
//!
//! An SRV string names a DNS record, and the driver needs a DNS resolver
//! to read it: about half a megabyte in every Lambda. The functions are
//! built without it (the `srv` feature is for `heyway` and the tests), so
//! on AWS `MONGODB_URI` is the standard `mongodb://` seed list, which
//! `heyway mongo-uri` prints for an SRV string (Atlas also shows it).

use crate::infra::config::ConfigError;

const SRV_SCHEME: &str = "mongodb+srv://";

/// Whether `uri` is an SRV connection string.
pub fn is_srv(uri: &str) -> bool {
    uri.trim_start()
        .get(..SRV_SCHEME.len())
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case(SRV_SCHEME))
}

/// Refuses an SRV string where it cannot be resolved, naming the setting
/// and the way out, rather than failing later inside the driver.
pub fn check_resolvable(uri: &str) -> Result<(), ConfigError> {
    if is_srv(uri) && !cfg!(feature = "srv") {
        return Err(ConfigError::Invalid {
            key: "MONGODB_URI",
            reason: "a mongodb+srv:// string needs a DNS lookup these functions do not make; \
                     give the standard mongodb:// form (`heyway mongo-uri` prints it)"
                .into(),
        });
    }
    Ok(())
}

/// What the DNS records of an SRV string said: its servers (`host:port`)
/// and the options of its TXT record.
#[derive(Debug, Default)]
pub struct SrvRecords {
    pub hosts: Vec<String>,
    pub replica_set: Option<String>,
    pub auth_source: Option<String>,
}

/// The standard form of `srv_uri`: the same credentials, database and
/// options, the servers of its records, and what SRV implies (`tls=true`
/// and the TXT record's options), unless the string already says.
pub fn standard_form(srv_uri: &str, records: &SrvRecords) -> Result<String, ConfigError> {
    let invalid = |reason: &str| ConfigError::Invalid {
        key: "MONGODB_URI",
        reason: reason.to_string(),
    };
    let trimmed = srv_uri.trim();
    if !is_srv(trimmed) {
        return Err(invalid("not a mongodb+srv:// string"));
    }
    if records.hosts.is_empty() {
        return Err(invalid("its SRV record names no server"));
    }
    let rest = &trimmed[SRV_SCHEME.len()..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let userinfo = authority
        .rfind('@')
        .map(|at| &authority[..=at])
        .unwrap_or("");
    let (path, query) = match tail.split_once('?') {
        Some((path, query)) => (path, query),
        None => (tail, ""),
    };
    let mut options: Vec<String> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(str::to_string)
        .collect();
    let has = |options: &[String], names: &[&str]| {
        options.iter().any(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            names.iter().any(|n| n.eq_ignore_ascii_case(name))
        })
    };
    if !has(&options, &["tls", "ssl"]) {
        options.push("tls=true".into());
    }
    if let Some(set) = &records.replica_set {
        if !has(&options, &["replicaSet"]) {
            options.push(format!("replicaSet={set}"));
        }
    }
    if let Some(source) = &records.auth_source {
        if !has(&options, &["authSource"]) {
            options.push(format!("authSource={source}"));
        }
    }
    let path = if path.is_empty() { "/" } else { path };
    Ok(format!(
        "mongodb://{userinfo}{}{path}?{}",
        records.hosts.join(","),
        options.join("&")
    ))
}

/// Reads the SRV and TXT records of `srv_uri` (through the driver) and
/// answers its standard form.
#[cfg(feature = "srv")]
pub async fn resolve(srv_uri: &str) -> crate::error::Result<String> {
    let options = mongodb::options::ClientOptions::parse(srv_uri).await?;
    let records = SrvRecords {
        hosts: options.hosts.iter().map(ToString::to_string).collect(),
        replica_set: options.repl_set_name.clone(),
        auth_source: options.credential.as_ref().and_then(|c| c.source.clone()),
    };
    standard_form(srv_uri, &records).map_err(|e| crate::error::Error::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records() -> SrvRecords {
        SrvRecords {
            hosts: vec![
                "ac-1-shard-00-00.example.net:27017".into(),
                "ac-1-shard-00-01.example.net:27017".into(),
            ],
            replica_set: Some("atlas-abc-shard-0".into()),
            auth_source: Some("admin".into()),
        }
    }

    #[test]
    fn an_atlas_string_keeps_its_credentials_database_and_options() {
        let uri =
            "mongodb+srv://app:p%40ss@cluster0.example.net/heyway?retryWrites=true&w=majority";
        assert_eq!(
            standard_form(uri, &records()).unwrap(),
            "mongodb://app:p%40ss@ac-1-shard-00-00.example.net:27017,ac-1-shard-00-01.example.net:27017\
             /heyway?retryWrites=true&w=majority&tls=true&replicaSet=atlas-abc-shard-0&authSource=admin"
        );
    }

    #[test]
    fn options_the_string_gives_win_over_the_records() {
        let uri = "MONGODB+SRV://cluster0.example.net/?tls=false&authSource=users";
        assert_eq!(
            standard_form(uri, &records()).unwrap(),
            "mongodb://ac-1-shard-00-00.example.net:27017,ac-1-shard-00-01.example.net:27017\
             /?tls=false&authSource=users&replicaSet=atlas-abc-shard-0"
        );
    }

    #[test]
    fn only_srv_strings_with_servers_are_turned() {
        assert!(standard_form("mongodb://localhost", &records()).is_err());
        assert!(standard_form("mongodb+srv://c.example.net", &SrvRecords::default()).is_err());
    }

    #[test]
    fn srv_strings_are_refused_where_they_cannot_be_resolved() {
        assert!(is_srv(" mongodb+srv://c.example.net"));
        assert!(!is_srv("mongodb://localhost:27017"));
        assert!(check_resolvable("mongodb://localhost:27017").is_ok());
        assert_eq!(
            check_resolvable("mongodb+srv://c.example.net").is_err(),
            !cfg!(feature = "srv")
        );
    }
}
