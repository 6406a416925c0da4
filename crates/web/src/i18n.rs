//! The pages' languages: Bahasa Indonesia (the default) and English. Every text a page shows
//! comes from `locales/<lang>.toml`, compiled into the binary; a test checks that both files
//! have the same keys and that every key the templates and page code name exists.

use std::collections::HashMap;
use std::sync::OnceLock;

/// A language the pages are written in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Bahasa Indonesia, the default.
    #[default]
    Id,
    /// English.
    En,
}

impl Lang {
    /// Both languages, Indonesian first.
    pub const ALL: [Lang; 2] = [Lang::Id, Lang::En];

    /// The BCP 47 code, for `<html lang>` and the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    /// The language a code names ("id" or "en"); anything else is none.
    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "id" => Some(Lang::Id),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language (the header's switch offers it).
    pub fn other(self) -> Lang {
        match self {
            Lang::Id => Lang::En,
            Lang::En => Lang::Id,
        }
    }

    fn source(self) -> &'static str {
        match self {
            Lang::Id => include_str!("../locales/id.toml"),
            Lang::En => include_str!("../locales/en.toml"),
        }
    }
}

/// One language's texts, by dotted key.
pub type Catalogue = HashMap<String, String>;

/// The texts of `lang`. A broken file leaves the catalogue empty (pages then show keys);
/// the test below fails on it long before a release.
pub fn catalogue(lang: Lang) -> &'static Catalogue {
    static CATALOGUES: OnceLock<[Catalogue; 2]> = OnceLock::new();
    let all = CATALOGUES.get_or_init(|| Lang::ALL.map(|l| parse(l.source()).unwrap_or_default()));
    match lang {
        Lang::Id => &all[0],
        Lang::En => &all[1],
    }
}

/// Parses a locale file into dotted keys.
pub fn parse(source: &str) -> Result<Catalogue, toml::de::Error> {
    let table: toml::Table = toml::from_str(source)?;
    let mut out = Catalogue::new();
    flatten("", &table, &mut out);
    Ok(out)
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalogue) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            other => {
                out.insert(key, other.to_string());
            }
        }
    }
}

/// The texts of one language, as templates use them: `t.s("key")` for a text,
/// `t.f("key", &[("name", value)])` for one with `{name}` filled in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tr(pub Lang);

impl Tr {
    /// The text under `key`; the key itself if there is none (a test keeps that from
    /// happening).
    pub fn s<'a>(&self, key: &'a str) -> &'a str {
        match catalogue(self.0).get(key) {
            Some(s) => s.as_str(),
            None => key,
        }
    }

    /// The text under `key` with each `{name}` replaced by its value.
    pub fn f(&self, key: &str, values: &[(&str, &str)]) -> String {
        let mut text = self.s(key).to_owned();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// The page's language.
    pub fn lang(&self) -> Lang {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn both_locale_files_parse_and_have_the_same_keys() {
        let id = parse(Lang::Id.source()).expect("id.toml parses");
        let en = parse(Lang::En.source()).expect("en.toml parses");
        let id_keys: BTreeSet<_> = id.keys().collect();
        let en_keys: BTreeSet<_> = en.keys().collect();
        let only_id: Vec<_> = id_keys.difference(&en_keys).collect();
        let only_en: Vec<_> = en_keys.difference(&id_keys).collect();
        assert!(
            only_id.is_empty() && only_en.is_empty(),
            "only in id.toml: {only_id:?}; only in en.toml: {only_en:?}"
        );
        assert!(id.len() > 20, "{}", id.len());
        for (k, v) in id.iter().chain(en.iter()) {
            assert!(!v.trim().is_empty(), "{k} is empty");
        }
    }

    #[test]
    fn placeholders_agree_between_the_languages() {
        let names = |s: &str| -> BTreeSet<String> {
            s.split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
                .collect()
        };
        let id = catalogue(Lang::Id);
        let en = catalogue(Lang::En);
        for (k, v) in id {
            let other = en.get(k).map(String::as_str).unwrap_or_default();
            assert_eq!(names(v), names(other), "{k}");
        }
    }

    /// Every `t.s("…")` / `t.f("…"` / `tr.s("…")` in the page templates and the page code
    /// names a key that exists: a missing key would show the key itself on a page.
    #[test]
    fn every_key_the_pages_name_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["templates/pages", "src/pages"] {
            collect(&root.join(dir), &mut files);
        }
        assert!(!files.is_empty());
        let id = catalogue(Lang::Id);
        let mut missing = Vec::new();
        let mut seen = 0;
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            for marker in [".s(\"", ".f(\""] {
                for part in text.split(marker).skip(1) {
                    if let Some((key, _)) = part.split_once('"') {
                        if key.contains('{') || key.ends_with('.') {
                            continue; // built at run time; covered by the enum tests
                        }
                        seen += 1;
                        if !id.contains_key(key) {
                            missing.push(format!("{}: {key}", f.display()));
                        }
                    }
                }
            }
        }
        assert!(seen > 20, "found only {seen} keys: is the scan broken?");
        assert!(
            missing.is_empty(),
            "keys missing from the locales: {missing:#?}"
        );
    }

    fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                collect(&p, out);
            } else {
                out.push(p);
            }
        }
    }

    #[test]
    fn a_missing_key_shows_itself_and_values_are_filled_in() {
        let t = Tr(Lang::En);
        assert_eq!(t.s("no.such.key"), "no.such.key");
        assert_eq!(
            t.f("start.offices_in", &[("region", "Sumatera Selatan")]),
            "Offices in Sumatera Selatan"
        );
    }
}
