//! Export menus and the import button: files downloaded as they are served, and a ChatGPT
//! export brought in with its summary and its chats in History.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

/// The file that appears in `dir`, once Chromium has finished writing it: not a
/// `.crdownload`, not empty, and the same size twice in a row (a streamed download may
/// have its name before all its bytes).
async fn downloaded(dir: &Path) -> PathBuf {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut last = None;
    loop {
        let done: Vec<(PathBuf, u64)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e != "crdownload"))
            .map(|path| {
                let size = std::fs::metadata(&path).map_or(0, |m| m.len());
                (path, size)
            })
            .collect();
        if let [(file, size)] = done.as_slice()
            && *size > 0
        {
            if last.as_ref() == Some(&(file.clone(), *size)) {
                return file.clone();
            }
            last = Some((file.clone(), *size));
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no download in {dir:?}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test]
async fn a_chat_and_the_events_chats_download_from_their_menus_and_an_import_lands_in_history() {
    let app = spawn_app().await;
    let event = app.seed_event("Western States").await.to_string();
    let session = app
        .seed_session(
            event.parse().ok(),
            4,
            &["Salt at the canyons?", "**300 mg** an hour."],
        )
        .await
        .to_string();
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import/chatgpt-conversations.json");
    with_window("transfer", (1280, 900), |session_| async move {
        let browser = &session_.client;
        let chat_dir = tempfile::tempdir().unwrap();
        session_.downloads_to(chat_dir.path()).await;
        remember_chat(browser, &app, &event, &session).await;
        goto_chat(browser, &app, &event, 2).await;

        click(browser, ".export-chat summary").await;
        let labels = texts(browser, ".export-chat .menu-item").await;
        assert_eq!(labels, ["Markdown", "JSON", "PDF"]);
        save_screenshot(browser, "export-menu").await;
        click(browser, ".export-chat .menu-item").await;
        let file = downloaded(chat_dir.path()).await;
        assert_eq!(file.file_name().unwrap(), "Salt at the canyons_.md");
        let markdown = std::fs::read_to_string(&file).unwrap();
        assert!(
            markdown.starts_with("# Salt at the canyons?\n")
                && markdown.contains("**300 mg** an hour."),
            "{markdown}"
        );

        let all_dir = tempfile::tempdir().unwrap();
        session_.downloads_to(all_dir.path()).await;
        click(browser, ".export-chats summary").await;
        click(browser, ".export-chats .menu-item").await;
        let file = downloaded(all_dir.path()).await;
        assert_eq!(file.file_name().unwrap(), "Western States chats.json");
        let exported: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(exported["chats"][0]["id"], json!(session));

        // Import: the file picker, then the summary, and the chats in History.
        find(browser, ".import-file")
            .await
            .send_keys(&fixture.to_string_lossy())
            .await
            .unwrap();
        until(
            browser,
            "the import's summary",
            "document.querySelector('.import-report')?.textContent.startsWith('Imported 2 chats')",
        )
        .await;
        let report = find(browser, ".import-report").await.text().await.unwrap();
        assert!(
            report.contains("Skipped 1 chat:")
                && report.contains("Broken: it is not a ChatGPT or Open WebUI conversation"),
            "{report}"
        );
        save_screenshot(browser, "import-summary").await;
        open_history(browser, 3).await;
        assert_eq!(
            texts(browser, ".session-title").await,
            ["Salt at the canyons?", "Crew plan", "Salt at the canyons"]
        );
    })
    .await;
}
