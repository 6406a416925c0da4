//! The settings' loading, validation and defaults file.

use super::*;

#[test]
fn default_config_output_parses_back_to_the_defaults() {
    let text = Settings::default_toml();
    let parsed: Settings = Figment::from(Toml::string(&text)).extract().unwrap();
    assert_eq!(parsed, Settings::default());
}

#[test]
fn an_unknown_database_scheme_is_a_clear_error() {
    let s = Settings {
        database_url: "mysql://localhost/loket".into(),
        ..Settings::default()
    };
    let e = s.validate().unwrap_err().to_string();
    assert!(e.contains("unsupported scheme \"mysql\""), "{e}");
}

#[test]
fn priority_ages_are_settings_within_sense() {
    let s = Settings {
        priority_elderly_from: 65,
        priority_small_child_under: 3,
        ..Settings::default()
    };
    assert!(s.validate().is_ok());
    assert_eq!(s.priority_rules().elderly_from, 65);
    assert_eq!(Settings::default().priority_rules(), Default::default());
    for (elderly, child) in [(0, 5), (60, 0), (101, 5), (60, 18)] {
        let bad = Settings {
            priority_elderly_from: elderly,
            priority_small_child_under: child,
            ..Settings::default()
        };
        let e = bad.validate().unwrap_err().to_string();
        assert!(e.contains("priority_elderly_from"), "{e}");
    }
}

#[test]
fn the_check_in_grace_is_a_setting_of_at_most_four_hours() {
    let s = Settings {
        check_in_early_minutes: 0,
        check_in_late_minutes: 240,
        ..Settings::default()
    };
    assert!(s.validate().is_ok());
    assert_eq!(s.check_in_window().late_minutes, 240);
    assert_eq!(Settings::default().check_in_window(), Default::default());
    let bad = Settings {
        check_in_early_minutes: 241,
        ..Settings::default()
    };
    let e = bad.validate().unwrap_err().to_string();
    assert!(e.contains("check_in_early_minutes"), "{e}");
}

#[test]
fn the_call_policy_is_a_setting_within_sense() {
    let s = Settings {
        call_priority_streak: 2,
        call_regular_max_wait_minutes: 30,
        ..Settings::default()
    };
    assert!(s.validate().is_ok());
    assert_eq!(s.call_policy().priority_streak, 2);
    assert_eq!(Settings::default().call_policy(), Default::default());
    for bad in [
        Settings {
            call_priority_streak: 0,
            ..Settings::default()
        },
        Settings {
            call_regular_max_wait_minutes: 1,
            ..Settings::default()
        },
        Settings {
            missed_after_calls: 0,
            ..Settings::default()
        },
    ] {
        let e = bad.validate().unwrap_err().to_string();
        assert!(e.contains("call_priority_streak"), "{e}");
    }
}

#[test]
fn secrets_are_redacted_in_debug_output() {
    let s = Settings {
        payment_webhook_secret: Some(Secret("a-secret-nobody-should-read-0123456789".into())),
        ..Settings::default()
    };
    let dbg = format!("{s:?}");
    assert!(!dbg.contains("a-secret-nobody"));
    assert!(dbg.contains("Secret(***)"));
}

fn production(secret: Option<&str>) -> Settings {
    Settings {
        mode: Mode::Production,
        payment_webhook_secret: secret.map(|s| Secret(s.to_owned())),
        public_url: Some("https://loket.example.go.id".into()),
        ..Settings::default()
    }
}

#[test]
fn production_refuses_to_start_without_a_webhook_secret() {
    let e = production(None)
        .validate_for_serving()
        .unwrap_err()
        .to_string();
    assert!(e.contains("LOKET_PAYMENT_WEBHOOK_SECRET"), "{e}");
}

#[test]
fn production_refuses_the_published_dev_secret_even_padded_out() {
    let e = production(Some(DEV_WEBHOOK_SECRET))
        .validate_for_serving()
        .unwrap_err()
        .to_string();
    assert!(e.contains("published"), "{e}");
}

#[test]
fn production_refuses_a_short_secret() {
    let e = production(Some("0123456789abcdef0123456789abcde"))
        .validate_for_serving()
        .unwrap_err()
        .to_string();
    assert!(e.contains("at least 32 bytes"), "{e}");
    production(Some("0123456789abcdef0123456789abcdef"))
        .validate_for_serving()
        .unwrap();
}

#[test]
fn no_configuration_at_all_means_production_which_needs_a_secret() {
    assert_eq!(Settings::default().mode, Mode::Production);
    // A folder with no files in it, as a machine outside the repository has.
    let empty = config_dir(&[]);
    let s = Settings::load_from(Some(&empty), None, &[]).unwrap();
    assert_eq!(s.mode, Mode::Production);
    let e = s.validate_for_serving().unwrap_err().to_string();
    assert!(
        e.contains("production mode needs payment_webhook_secret"),
        "{e}"
    );
}

fn config_dir(files: &[(&str, &str)]) -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("loket-cfg-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, body) in files {
        std::fs::write(dir.join(name), body).unwrap();
    }
    dir
}

#[test]
fn a_named_configuration_folder_that_does_not_exist_is_an_error() {
    let e = Settings::load_from(Some(Path::new("/nonexistent/loket")), None, &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("/nonexistent/loket does not exist"), "{e}");
}

#[test]
fn a_named_environment_without_its_file_is_an_error() {
    let dir = config_dir(&[("base.toml", "mode = \"dev\"\n")]);
    for name in ["production", "prodution"] {
        let e = Settings::load_from(Some(&dir), Some(name), &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains(&format!("LOKET_ENVIRONMENT={name}")), "{e}");
    }
    let e = Settings::load_from(Some(&dir), Some("../base"), &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a valid name"), "{e}");
}

#[test]
fn the_environment_file_overrides_the_base_file() {
    let dir = config_dir(&[
        ("base.toml", "mode = \"dev\"\n"),
        ("production.toml", "mode = \"production\"\n"),
    ]);
    let dev = Settings::load_from(Some(&dir), None, &[]).unwrap();
    assert_eq!(dev.mode, Mode::Dev);
    let e = Settings::load_from(Some(&dir), Some("production"), &[])
        .unwrap()
        .validate_for_serving()
        .unwrap_err()
        .to_string();
    assert!(e.contains("production mode needs"), "{e}");
    let ok = Settings::load_from(
        Some(&dir),
        Some("production"),
        &[("payment_webhook_secret", "x".repeat(40))],
    )
    .unwrap();
    assert_eq!(ok.mode, Mode::Production);
    assert!(!ok.mode.dev_tools());
}

#[test]
fn production_needs_an_https_public_url_and_any_mode_a_well_formed_one() {
    let secret = "0123456789abcdef0123456789abcdef";
    let e = Settings {
        public_url: None,
        ..production(Some(secret))
    }
    .validate_for_serving()
    .unwrap_err()
    .to_string();
    assert!(e.contains("LOKET_PUBLIC_URL"), "{e}");
    let e = Settings {
        public_url: Some("http://loket.example.go.id".into()),
        ..production(Some(secret))
    }
    .validate_for_serving()
    .unwrap_err()
    .to_string();
    assert!(e.contains("must start with https://"), "{e}");
    for bad in [
        "loket.example.go.id",
        "https://",
        "https://x.id/?a=1",
        "https://x .id",
    ] {
        let s = Settings {
            public_url: Some(bad.into()),
            ..Settings::default()
        };
        assert!(s.validate().is_err(), "{bad:?} passed");
    }
    let s = Settings {
        public_url: Some("https://loket.example.go.id/".into()),
        ..Settings::default()
    };
    s.validate().unwrap();
    assert_eq!(s.public_base(), "https://loket.example.go.id");
    assert_eq!(Settings::default().public_base(), "");
}

#[test]
fn every_limit_needs_at_least_one_try_and_a_window_of_a_minute_to_a_day() {
    type Tweak = fn(&mut Settings);
    let tweaks: [(&str, Tweak); 6] = [
        ("code_max_failures", |s| s.code_max_failures = 0),
        ("code_lockout_minutes", |s| s.code_lockout_minutes = 0),
        ("address_max_mails", |s| s.address_max_mails = 0),
        ("address_mail_window_minutes", |s| {
            s.address_mail_window_minutes = 24 * 60 + 1
        }),
        ("client_max_requests", |s| s.client_max_requests = 0),
        ("login_lockout_minutes", |s| s.login_lockout_minutes = -5),
    ];
    for (key, tweak) in tweaks {
        let mut s = Settings::default();
        tweak(&mut s);
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains(key), "{key}: {e}");
    }
    let proxies = Settings {
        trusted_proxy_hops: 6,
        ..Settings::default()
    };
    let e = proxies.validate().unwrap_err().to_string();
    assert!(e.contains("trusted_proxy_hops"), "{e}");
    Settings::default().validate().unwrap();
}

#[test]
fn smtp_urls_parse_to_host_and_port() {
    assert_eq!(
        parse_smtp_url("smtp://127.0.0.1:2525"),
        Some(("127.0.0.1".into(), 2525))
    );
    assert_eq!(
        parse_smtp_url("smtp://relay.local"),
        Some(("relay.local".into(), 25))
    );
    assert_eq!(parse_smtp_url("http://x:25"), None);
    assert_eq!(parse_smtp_url("smtp://:25"), None);
}
