//! The app on a free port, against a fresh database and the fake model, with typed helpers
//! for what the tests ask of it.

use std::sync::Arc;
use std::time::Duration;

use app::{Application, Settings};
use chrono::{DateTime, TimeZone, Utc};
use domain::ports::{ChatStore, EventStore, Lease};
use domain::{ChatLimits, ChatMessage, ChatSession, Event, EventFields, Role};
use local_postgres::testing::TestDatabase;
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use secrecy::SecretString;
use serde_json::Value;
use store_postgres::{MigrationError, PgStore, PoolConfig, build_pool, run_migrations};
use uuid::Uuid;

use crate::fake_openai::{Behavior, FakeOpenAi};
use crate::sse::parse_sse;

pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub db: TestDatabase,
    pub store: Arc<PgStore>,
    pub model: FakeOpenAi,
}

pub const MODEL_KEY: &str = "sk-test-secret-key-0123456789";

pub fn settings(database_url: SecretString, model_base_url: &str) -> Settings {
    let mut openai = llm_openai::OpenAiConfig::new(
        model_base_url.into(),
        Some(MODEL_KEY.into()),
        "fake-gpt".into(),
    );
    openai.retry_base_delay = Duration::from_millis(10);
    openai.idle_timeout = Duration::from_secs(5);
    Settings {
        database_url: Some(database_url),
        data_dir: "unused".into(),
        bind_addr: "127.0.0.1:0".into(),
        pool: PoolConfig {
            max_size: 8,
            timeout: Duration::from_millis(500),
            ..PoolConfig::DEFAULT
        },
        http: http_api::HttpConfig {
            max_body_bytes: 16 * 1024,
            workers: Some(2),
            ..Default::default()
        },
        chat: ChatLimits {
            max_message_chars: 2_000,
            ..ChatLimits::default()
        },
        openai,
        runs: http_api::RunsConfig::for_lease(ChatLimits::DEFAULT.answer_lease),
        sse_ping_every: Duration::from_secs(15),
        import_max_bytes: http_api::HttpConfig::DEFAULT_IMPORT_MAX_BYTES,
        pdf_fallback_font: app::installed_fallback_font(),
    }
}

/// Runs the embedded migrations on the database at `url`.
pub async fn migrate(url: SecretString) -> Result<usize, MigrationError> {
    run_migrations(&url).await
}

/// A fresh, migrated database of the test's own.
pub async fn test_database() -> TestDatabase {
    TestDatabase::new(migrate).await
}

/// Starts the app on a free port against `url` and returns its base address.
pub async fn start(settings: &Settings, url: &SecretString) -> String {
    let app = Application::build(settings, url).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    address
}

pub async fn spawn_app() -> TestApp {
    spawn_app_answering(Behavior::answer(&["Start ", "easy, ", "then ", "hold on."])).await
}

/// An app whose model answers with `model`, with the test settings as they are.
pub async fn spawn_app_answering(model: Behavior) -> TestApp {
    spawn_app_with(model, |_| {}).await
}

/// An app that saves every piece of an answer as it arrives, so the stored row holds the
/// text while it is written.
pub async fn spawn_app_saving_each_piece(model: Behavior) -> TestApp {
    spawn_app_with(model, |settings| {
        settings.chat.checkpoint_every = Duration::ZERO;
    })
    .await
}

/// An app whose model answers with `model` unless told otherwise, with settings adjusted.
pub async fn spawn_app_with(model: Behavior, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let db = test_database().await;
    let model = FakeOpenAi::start(model).await;
    let mut settings = settings(db.url().clone(), &model.base_url);
    adjust(&mut settings);
    let address = start(&settings, db.url()).await;
    let config = PoolConfig::default();
    let pool = build_pool(db.url(), config).expect("pool");
    let store = Arc::new(PgStore::new(pool, config.statement_timeout));
    TestApp {
        address,
        client: Client::new(),
        db,
        store,
        model,
    }
}

pub fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 27, 5, 0, 0).unwrap()
        + chrono::Duration::minutes(i64::from(minute))
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    async fn send(&self, request: RequestBuilder) -> Response {
        request.send().await.expect("request")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(self.client.get(self.url(path))).await
    }

    /// GETs `path`, expecting 200, and returns its JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.unwrap()
    }

    /// Asserts that GET `path` is a 404 problem.
    pub async fn assert_not_found(&self, path: &str) {
        assert_problem(self.get(path).await, StatusCode::NOT_FOUND).await;
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.send(self.client.delete(self.url(path))).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.send(self.client.post(self.url(path)).json(body)).await
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> Response {
        self.send(self.client.put(self.url(path)).json(body)).await
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Response {
        self.send(self.client.patch(self.url(path)).json(body))
            .await
    }

    pub async fn chat(&self, body: &Value) -> Response {
        self.post_json("/api/chat", body).await
    }

    /// Asks a question and reads the whole stream; asserts the SSE headers.
    pub async fn chat_events(&self, body: &Value) -> Vec<Value> {
        let response = self.chat(body).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        assert_eq!(response.headers()["cache-control"], "no-cache");
        parse_sse(&response.text().await.unwrap())
    }

    pub async fn session_json(&self, id: &str) -> Value {
        let response = self.get(&format!("/api/chat/sessions/{id}")).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        let request = self.client.post(self.url(path));
        self.send(request.header("content-type", content_type).body(body))
            .await
    }

    /// Creates an event through the API and returns its JSON.
    pub async fn create_event(&self, name: &str) -> Value {
        let response = self
            .post_json(
                "/api/events",
                &serde_json::json!({"name": name, "distance": 50.0}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    /// Stores an event directly (for fixtures that need fixed timestamps).
    pub async fn seed_event(&self, name: &str) -> Uuid {
        let event = Event {
            id: Uuid::now_v7(),
            fields: EventFields {
                name: name.into(),
                planned_date: Some(at(0)),
                distance: Some(62.1),
                target_duration_minutes: Some(900),
                elevation_gain_adjustment_percent: None,
                elevation_descent_adjustment_percent: None,
                fatigue_slowdown_percent: None,
            },
            created_at: at(0),
            updated_at: at(0),
        };
        self.store.insert_event(&event).await.unwrap();
        event.id
    }

    /// Stores `count` chats without messages in the event, titled `chat 1`, `chat 2`, ...,
    /// newest first: in runs of `ties` with the same `updated_at` a second apart, every
    /// `pin_every`th pinned (none when 0).
    pub async fn seed_many_sessions(&self, event: Uuid, count: u32, ties: u32, pin_every: u32) {
        let pinned = match pin_every {
            0 => "false".to_owned(),
            n => format!("i % {n} = 0"),
        };
        self.db
            .execute(&format!(
                "INSERT INTO chat_sessions (id, event_id, title, created_at, updated_at, pinned) \
                 SELECT gen_random_uuid(), '{event}', 'chat ' || i, now(), \
                        now() - (i / {ties}) * interval '1 second', {pinned} \
                 FROM generate_series(1, {count}) AS i"
            ))
            .await;
    }

    /// Stores a session with `messages` alternating user/assistant, all written `minute`
    /// minutes after the test clock's start ([`at`]).
    pub async fn seed_session(
        &self,
        event_id: impl Into<Option<Uuid>>,
        minute: u32,
        messages: &[&str],
    ) -> Uuid {
        let event_id = event_id.into();
        let updated_at = at(minute);
        let session = ChatSession {
            id: Uuid::now_v7(),
            event_id,
            title: messages.first().copied().unwrap_or("chat").into(),
            pinned: false,
            tags: Vec::new(),
            created_at: updated_at,
            updated_at,
        };
        let messages: Vec<ChatMessage> = messages
            .iter()
            .enumerate()
            .map(|(i, text)| ChatMessage {
                role: if i % 2 == 1 {
                    Role::Assistant
                } else {
                    Role::User
                },
                ..ChatMessage::from_user(Uuid::now_v7(), session.id, (*text).into(), updated_at)
            })
            .collect();
        let lease = Lease {
            owner: Uuid::nil(),
            duration: ChatLimits::DEFAULT.answer_lease,
        };
        self.store
            .create_session(&session, &messages, &lease)
            .await
            .unwrap();
        session.id
    }
}

/// The string `key` of each object in the array `list`.
pub fn each_str<'a>(list: &'a Value, key: &str) -> Vec<&'a str> {
    let items = list
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"));
    items
        .iter()
        .map(|item| item[key].as_str().unwrap())
        .collect()
}

/// Asserts a problem+json answer with `status` and returns its body.
pub async fn assert_problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status, "status of {}", response.url());
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status.as_u16());
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    body
}

/// Fails, showing `text`, unless every one of `parts` is in it.
#[track_caller]
pub fn assert_contains_all(text: &str, parts: &[&str]) {
    let missing: Vec<&&str> = parts.iter().filter(|part| !text.contains(**part)).collect();
    assert!(missing.is_empty(), "{missing:?} not in {text}");
}
