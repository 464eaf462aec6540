//! Component tests in headless Chromium (wasm-bindgen-test): the views render the right thing
//! for a given session, and react to clicks and keys. Run by `./dev.sh test`.
#![cfg(target_arch = "wasm32")]

use agentbar::config::Config;
use agentbar::core::event::{CallOffer, Event, Media};
use agentbar::core::model::{AgentState, Session};
use agentbar::core::step::{step, Input};
use agentbar::i18n::Lang;
use agentbar::ui::{Commands, RingingBanner, Toolbar};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn ringing_session(caller: &str) -> Session {
    let mut s = Session { agent_id: "101".into(), agent: AgentState::Idle, ..Default::default() };
    step(
        &mut s,
        Input::Event(Event::CallInfo {
            call_id: "1501127996-2".into(),
            skill: Some("VIP".into()),
            calldata: None,
        }),
        0,
    );
    let offer = CallOffer {
        call_id: "1501127996-2".into(),
        caller: caller.into(),
        called: "4001".into(),
        media: Media::Chat,
        feature: 0,
        transferred_from: Some("205".into()),
        assistant: false,
    };
    step(&mut s, Input::Event(Event::Ringing(offer)), js_sys::Date::now() as u64);
    s
}

/// Mounts the ringing banner for a session into a fresh element.
fn mount_banner(session: Session, lang: Lang) -> (Toolbar, web_sys::HtmlElement) {
    let toolbar = Toolbar::new(Config::default(), Default::default(), lang);
    toolbar.view.session.set(session);
    let host: web_sys::HtmlElement = document().create_element("section").unwrap().unchecked_into();
    document().body().unwrap().append_child(&host).unwrap();
    leptos::mount::mount_to(host.clone(), move || {
        provide_context(toolbar.view);
        provide_context(toolbar.ring);
        provide_context(toolbar.phone);
        provide_context(Commands::new(toolbar));
        view! { <RingingBanner/> }
    })
    .forget();
    (toolbar, host)
}

fn find(host: &web_sys::HtmlElement, testid: &str) -> Option<web_sys::HtmlElement> {
    host.query_selector(&format!("[data-testid='{testid}']")).unwrap().map(|e| e.unchecked_into())
}

fn text(host: &web_sys::HtmlElement, testid: &str) -> String {
    find(host, testid).unwrap_or_else(|| panic!("no {testid}")).text_content().unwrap_or_default()
}

fn press_escape() {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("Escape");
    let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    window().dispatch_event(&ev).unwrap();
}

#[wasm_bindgen_test]
async fn banner_shows_the_ringing_call() {
    let (_, host) = mount_banner(ringing_session("013800000000"), Lang::En);
    leptos::task::tick().await;
    assert_eq!(text(&host, "ringing-caller"), "013800000000");
    assert_eq!(text(&host, "ringing-called"), "4001");
    assert_eq!(text(&host, "ringing-skill"), "VIP");
    assert_eq!(text(&host, "ringing-transfer"), "205");
    assert!(text(&host, "ringing-banner").contains("Chat"), "media is shown");
    assert_eq!(text(&host, "ringing-timer"), "0:00");
    assert!(find(&host, "answer").is_some());
    assert!(find(&host, "reject-dialog").is_none(), "the dialog waits for a click");
}

#[wasm_bindgen_test]
async fn reject_opens_the_dialog_with_two_plain_choices_and_escape_cancels() {
    let (_, host) = mount_banner(ringing_session("013800000000"), Lang::En);
    leptos::task::tick().await;
    find(&host, "reject").unwrap().click();
    leptos::task::tick().await;
    let dialog = text(&host, "reject-dialog");
    assert!(dialog.contains("Return the call to the queue and set me busy"), "{dialog}");
    assert!(dialog.contains("Release the call and stay ready"), "{dialog}");
    let confirm: web_sys::HtmlButtonElement = find(&host, "reject-confirm").unwrap().unchecked_into();
    assert!(confirm.disabled(), "no mode chosen yet");
    find(&host, "reject-mode-release").unwrap().click();
    leptos::task::tick().await;
    assert!(!confirm.disabled());
    press_escape();
    leptos::task::tick().await;
    assert!(find(&host, "reject-dialog").is_none(), "Escape cancels");
    assert!(find(&host, "ringing-banner").is_some(), "the call still rings");
}

#[wasm_bindgen_test]
async fn the_dialog_speaks_chinese_too() {
    let (_, host) = mount_banner(ringing_session("10086"), Lang::Zh);
    leptos::task::tick().await;
    find(&host, "reject").unwrap().click();
    leptos::task::tick().await;
    let dialog = text(&host, "reject-dialog");
    assert!(dialog.contains("退回队列,并将我置为示忙"), "{dialog}");
    assert!(dialog.contains("挂断这个来电,我保持空闲"), "{dialog}");
}

#[wasm_bindgen_test]
async fn banner_goes_away_when_the_call_is_taken_back() {
    let (toolbar, host) = mount_banner(ringing_session("10086"), Lang::En);
    leptos::task::tick().await;
    find(&host, "reject").unwrap().click();
    leptos::task::tick().await;
    toolbar.apply(Input::Event(Event::NoAnswer { call_id: "1501127996-2".into() }));
    leptos::task::tick().await;
    assert!(find(&host, "ringing-banner").is_none());
    assert!(find(&host, "reject-dialog").is_none());
}

#[wasm_bindgen_test]
async fn caller_numbers_carrying_markup_render_as_text() {
    let payload = "<img src=x onerror=\"window.__pwned=1\">";
    let (_, host) = mount_banner(ringing_session(payload), Lang::En);
    leptos::task::tick().await;
    assert_eq!(text(&host, "ringing-caller"), payload);
    assert!(host.query_selector("img").unwrap().is_none(), "no element was created from the caller");
}

/// The first load reads `agentbar.json` through the browser's `JSON.parse` (no JSON parser in
/// its wasm); what it reads must be what serde_json reads, errors included.
#[wasm_bindgen_test]
fn the_browsers_json_parse_reads_a_deployment_as_serde_json_does() {
    use agentbar::config::Deployment;
    use agentbar::runtime::JsDoc;
    let cases = [
        r#"{"embedOrigins": ["http://127.0.0.1:*", "https://crm.example/"], "gateways": ["", "https://gw.example/"]}"#,
        r#"{"gateways": [], "hostSettings": ["lang", "accent"], "vendor": "ccc", "relay": "https://relay.example/"}"#,
        r#"{"relay": null, "softphone": null, "unknown": {"deep": [1, 2]}}"#,
        r#"{"softphone": {"ws": "wss://sip.example/ws", "domain": "sip.example", "dtmf": "info",
            "iceServers": [{"urls": "turn:t.example", "username": "u", "credential": "c"},
                           {"urls": ["stun:s.example", 7]}], "signature": "header:X-Sig", "wsPath": "/ws"}}"#,
        r#"{"softphone": {"from": "ccc", "ws": "", "domain": ""}}"#,
        r#"[]"#,
        r#""just text""#,
        r#"{"gateways": "https://x"}"#,
        r#"{"embedOrigins": [1]}"#,
        r#"{"relay": 5}"#,
        r#"{"vendor": "genesys"}"#,
        r#"{"vendor": null}"#,
        r#"{"softphone": {"ws": "http://no", "domain": "d"}}"#,
        r#"{"softphone": {"ws": "wss://ok", "domain": "a b"}}"#,
        r#"{"softphone": {"ws": "wss://ok", "domain": "d", "iceServers": [{"username": "u"}]}}"#,
        r#"{"softphone": {"ws": "wss://ok", "domain": "d", "signature": "header:"}}"#,
    ];
    for text in cases {
        let doc = js_sys::JSON::parse(text).expect("valid JSON in the table");
        assert_eq!(Deployment::read(&JsDoc(doc)), Deployment::parse(text), "{text}");
    }
}
