//! What the model is told: who it is, the runner's event, and the conversation so far.

use std::fmt::Write;

use crate::models::chat::{ChatMessage, MessageStatus, Role};
use crate::models::event::{Event, Waypoint};
use crate::models::prompt::{Prompt, PromptMessage, PromptRole};

const COACH: &str = "You are aidstation, an experienced ultra-running coach and race planner. You help \
runners plan races from 50 km to 200 miles and beyond: pacing and splits, time at aid stations, fuelling \
(carbohydrate, fluid and sodium per hour), gear and drop bags, heat, cold, altitude and night running, \
training blocks and tapering, and what to do when things go wrong on race day. Be specific and practical: \
give numbers and ranges, and say when advice depends on the runner. Use miles for distance, like the \
planner does, and give kilometres too when it helps. Keep answers focused; use short lists where they \
help. If a question is about health, say when to see a professional.";

/// Builds the prompt: the coach's instructions (with the event and its waypoints in order,
/// when the chat is about one, and what its other chats said that bears on the question),
/// then as much of the earlier conversation as fits
/// `history_budget` characters, newest kept, then the new message.
pub fn build_prompt(
    event: Option<(&Event, &[Waypoint])>,
    memory: Option<&str>,
    history: &[ChatMessage],
    new_message: &str,
    history_budget: usize,
) -> Prompt {
    let mut system = COACH.to_owned();
    if let Some((event, waypoints)) = event {
        system.push_str("\n\n");
        system.push_str(&describe_event(event, waypoints));
    }
    if let Some(memory) = memory {
        system.push_str("\n\n");
        system.push_str(memory);
    }
    let mut messages = vec![PromptMessage {
        role: PromptRole::System,
        content: system,
    }];
    messages.extend(recent_history(history, history_budget));
    messages.push(PromptMessage {
        role: PromptRole::User,
        content: new_message.to_owned(),
    });
    Prompt { messages }
}

/// The newest messages whose text fits the budget, oldest first. Answers that failed before
/// any text are skipped (they carry nothing for the model), and so are answers still being
/// written, this turn's own included.
fn recent_history(history: &[ChatMessage], budget: usize) -> Vec<PromptMessage> {
    let mut used = 0;
    let mut kept: Vec<PromptMessage> = history
        .iter()
        .rev()
        .filter(|m| m.status != MessageStatus::Generating && !m.content.trim().is_empty())
        .take_while(|m| {
            used += m.content.chars().count();
            used <= budget
        })
        .map(|m| PromptMessage {
            role: match m.role {
                Role::User => PromptRole::User,
                Role::Assistant => PromptRole::Assistant,
            },
            content: m.content.clone(),
        })
        .collect();
    kept.reverse();
    kept
}

fn describe_event(event: &Event, waypoints: &[Waypoint]) -> String {
    let f = &event.fields;
    let mut text = format!("The runner is planning this event:\n- Name: {}\n", f.name);
    // Writing to a String cannot fail.
    if let Some(date) = f.planned_date {
        let _ = writeln!(text, "- Date: {}", date.format("%A %-d %B %Y, %H:%M UTC"));
    }
    if let Some(miles) = f.distance {
        let _ = writeln!(
            text,
            "- Distance: {miles:.1} miles ({:.1} km)",
            miles * 1.609_344
        );
    }
    if let Some(minutes) = f.target_duration_minutes {
        let _ = writeln!(
            text,
            "- Target finish time: {} h {:02} min",
            minutes / 60,
            minutes % 60
        );
        if let Some(miles) = f.distance.filter(|m| *m > 0.0) {
            // Whole seconds per mile; a float minute count could round to "x:60".
            let seconds = (f64::from(minutes) * 60.0 / miles).round();
            let _ = writeln!(
                text,
                "- Average pace needed: {:.0}:{:02.0} per mile",
                (seconds / 60.0).floor(),
                seconds % 60.0
            );
        }
    }
    for (label, value) in [
        (
            "Pace adjustment for elevation gain",
            f.elevation_gain_adjustment_percent,
        ),
        (
            "Pace adjustment for descents",
            f.elevation_descent_adjustment_percent,
        ),
        ("Expected fatigue slowdown", f.fatigue_slowdown_percent),
    ] {
        if let Some(percent) = value {
            let _ = writeln!(text, "- {label}: {percent}%");
        }
    }
    if waypoints.is_empty() {
        text.push_str("No aid stations or waypoints are entered yet.");
        return text;
    }
    text.push_str("Waypoints in race order:\n");
    for (n, w) in waypoints.iter().enumerate() {
        let w = &w.fields;
        let _ = write!(text, "{}. {} ({})", n + 1, w.name, w.waypoint_type.as_str());
        if let Some(miles) = w.distance_from_start {
            let _ = write!(text, ", mile {miles:.1}");
        }
        if let Some(feet) = w.elevation {
            let _ = write!(text, ", elevation {feet:.0} ft");
        }
        if let Some(minutes) = w.stop_time_minutes {
            let _ = write!(text, ", planned stop {minutes} min");
        }
        if let Some(comments) = w.comments.as_deref().filter(|c| !c.trim().is_empty()) {
            let _ = write!(text, ". Notes: {}", comments.trim());
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    use super::*;
    use crate::models::event::{EventFields, WaypointFields, WaypointType};

    fn message(role: Role, content: &str) -> ChatMessage {
        ChatMessage {
            role,
            ..ChatMessage::from_user(Uuid::nil(), Uuid::nil(), content.into(), Utc::now())
        }
    }

    fn texts(messages: &[PromptMessage]) -> Vec<&str> {
        messages.iter().map(|m| m.content.as_str()).collect()
    }

    #[test]
    fn the_prompt_is_coach_then_history_then_the_new_message() {
        let history = [
            message(Role::User, "first?"),
            message(Role::Assistant, "answer"),
        ];
        let prompt = build_prompt(None, None, &history, "second?", 10_000);
        let roles: Vec<_> = prompt.messages.iter().map(|m| m.role).collect();
        assert_eq!(
            roles,
            [
                PromptRole::System,
                PromptRole::User,
                PromptRole::Assistant,
                PromptRole::User
            ]
        );
        assert!(prompt.messages[0].content.contains("ultra-running coach"));
        assert_eq!(prompt.messages[3].content, "second?");
    }

    #[test]
    fn the_budget_keeps_the_newest_history_and_skips_empty_failed_answers() {
        let history = [
            message(Role::User, "oldest question"),
            message(Role::Assistant, ""),
            message(Role::User, "newer"),
            message(Role::Assistant, "newest"),
        ];
        let prompt = build_prompt(None, None, &history, "now", 12);
        let kept = texts(&prompt.messages[1..prompt.messages.len() - 1]);
        assert_eq!(kept, ["newer", "newest"]);
    }

    #[test]
    fn an_answer_still_being_written_is_not_history() {
        let mut elsewhere = message(Role::Assistant, "half an answer from another tab");
        elsewhere.status = MessageStatus::Generating;
        let history = [message(Role::User, "first?"), elsewhere];
        let prompt = build_prompt(None, None, &history, "second?", 10_000);
        let contents = texts(&prompt.messages[1..]);
        assert_eq!(contents, ["first?", "second?"]);
    }

    #[test]
    fn the_event_and_its_waypoints_in_order_are_in_the_system_prompt() {
        let event = Event {
            id: Uuid::nil(),
            fields: EventFields {
                name: "Western States".into(),
                planned_date: Utc.with_ymd_and_hms(2027, 6, 26, 5, 0, 0).single(),
                distance: Some(100.2),
                target_duration_minutes: Some(1_440),
                elevation_gain_adjustment_percent: Some(8.0),
                elevation_descent_adjustment_percent: None,
                fatigue_slowdown_percent: None,
            },
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let waypoint = |name: &str, mile: f64| Waypoint {
            id: Uuid::nil(),
            event_id: Uuid::nil(),
            order_index: 0,
            fields: WaypointFields {
                name: name.into(),
                waypoint_type: WaypointType::Food,
                latitude: None,
                longitude: None,
                elevation: Some(6_200.0),
                stop_time_minutes: Some(5),
                comments: Some("ice and potatoes".into()),
                distance_from_start: Some(mile),
            },
            created_at: Utc::now(),
        };
        let waypoints = [
            waypoint("Lyon Ridge", 10.3),
            waypoint("Robinson Flat", 29.7),
        ];
        let prompt = build_prompt(Some((&event, &waypoints)), None, &[], "pace?", 1_000);
        let system = &prompt.messages[0].content;
        for expected in [
            "Western States",
            "100.2 miles",
            "24 h 00 min",
            "Saturday 26 June 2027",
            "8%",
            "14:22 per mile",
            "1. Lyon Ridge (food), mile 10.3",
            "2. Robinson Flat",
            "ice and potatoes",
            "planned stop 5 min",
        ] {
            assert!(
                system.contains(expected),
                "missing {expected:?} in {system}"
            );
        }
        assert!(system.find("Lyon Ridge") < system.find("Robinson Flat"));
    }
}
