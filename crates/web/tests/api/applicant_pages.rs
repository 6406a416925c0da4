//! Adding an applicant through the pages: a message for each NIK rule, beside the field,
//! with what was typed kept.

use crate::helpers::{Backend, TestApp};
use crate::pages::post_form;

api_tests!(each_broken_nik_rule_gets_its_own_message_and_the_form_keeps_what_was_typed);

async fn each_broken_nik_rule_gets_its_own_message_and_the_form_keeps_what_was_typed(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let a = app.account(0).await;
    let csrf = "ab".repeat(32);
    let cookie = format!("loket_session={}; loket_csrf={csrf}", a.token);
    let person = crate::helpers::Person::fresh();
    let birth = person.birth_date.to_string();
    let sex = person.sex.as_str();
    let other_sex = if sex == "male" { "female" } else { "male" };
    let cases = [
        ("16710157089", sex, "NIK harus 16 angka"),
        ("1671O15708900001", sex, "hanya berisi angka"),
        (
            person.nik.as_str(),
            other_sex,
            "tidak cocok dengan jenis kelamin",
        ),
        (
            &person.nik[..].replacen("16", "99", 1),
            sex,
            "bukan kode provinsi",
        ),
    ];
    for (nik, s, words) in cases {
        let p = post_form(
            &app,
            "/applicants/new",
            &cookie,
            &[
                ("csrf", &csrf),
                ("nik", nik),
                ("full_name", "Dewi"),
                ("birth_date", &birth),
                ("sex", s),
                ("next", "/book"),
            ],
        )
        .await;
        assert_eq!(p.reply.status, 200, "{nik}");
        let msg = p.one(".field-error:has(#nik) .error-text");
        assert!(msg.contains(words), "{nik}: {msg}");
        assert_eq!(p.attr("input#nik", "value"), [nik.to_owned()]);
        assert_eq!(p.attr("input#full_name", "value"), ["Dewi"]);
    }
    let ok = post_form(
        &app,
        "/applicants/new",
        &cookie,
        &[
            ("csrf", &csrf),
            ("nik", &person.nik),
            ("full_name", "Dewi"),
            ("birth_date", &birth),
            ("sex", sex),
            ("next", "/book"),
        ],
    )
    .await;
    assert_eq!(ok.reply.status, 303);
    assert_eq!(ok.reply.header("location"), Some("/book"));
    let again = post_form(
        &app,
        "/applicants/new",
        &cookie,
        &[
            ("csrf", &csrf),
            ("nik", &person.nik),
            ("full_name", "Dewi"),
            ("birth_date", &birth),
            ("sex", sex),
        ],
    )
    .await;
    assert!(
        again
            .one(".field-error .error-text")
            .contains("sudah ada di akun Anda")
    );
    let list = app
        .get("/api/v1/applicants", Some(&a.token))
        .await
        .expect(200);
    assert_eq!(list.as_array().unwrap().len(), 1);
}
