//! The engine's observable behaviour: what it flags and what it leaves alone (DOMAIN.md §4),
//! where findings are (every unit), crisis handling (§2), and its guarantees (determinism,
//! Send + Sync, Markdown awareness).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kindly::{Analysis, Category, CrisisTier, Engine, EngineBuilder, Severity};
use std::sync::OnceLock;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new().expect("built-in packs compile"))
}

/// `[span]` marks what must be flagged, with its category; no brackets means nothing at all.
#[track_caller]
fn check(marked: &str, category: Option<Category>) {
    let text: String = marked.chars().filter(|c| *c != '[' && *c != ']').collect();
    let found = engine().analyze(&text);
    match (marked.find('['), category) {
        (Some(open), Some(cat)) => {
            let close = marked.find(']').expect("closing bracket") - 1;
            let want = &text[open..close];
            assert!(
                found
                    .findings
                    .iter()
                    .any(|f| f.category == cat && &text[f.bytes.range()] == want),
                "{marked:?}: expected {cat} on {want:?}, got {:?}",
                found
                    .findings
                    .iter()
                    .map(|f| (f.category, f.text.clone()))
                    .collect::<Vec<_>>()
            );
        }
        (None, None) => assert!(
            found.findings.is_empty(),
            "{marked:?} must produce nothing, got {:?}",
            found
                .findings
                .iter()
                .map(|f| (f.rule.to_string(), f.text.clone()))
                .collect::<Vec<_>>()
        ),
        _ => panic!("test setup"),
    }
}

#[test]
fn first_person_scope_contractions_and_apostrophes() {
    use Category::Labeling as L;
    check(
        "[I'm so lazy], I didn't even get out of bed til noon.",
        Some(L),
    );
    check("[I’m so lazy] today.", Some(L));
    check("[im so lazy] lol", Some(L));
    check("[I AM SO LAZY]", Some(L));
    check("[i’m sooo stupid]", Some(L));
    check("He's so lazy, he never does the dishes.", None);
    check("She is such an idiot sometimes.", None);
    check("My boss is useless.", None);
}

#[test]
fn negation_past_beliefs_and_hypotheticals() {
    use Category::Labeling as L;
    check("I'm not lazy, I'm exhausted.", None);
    check("I don't think I'm stupid, I just didn't know.", None);
    check(
        "I used to think I was useless, but therapy helped me see otherwise.",
        None,
    );
    check("If I were lazy I wouldn't have finished the report.", None);
    check(
        "In first year I really believed I was the dumbest one in the cohort. Now I tutor.",
        None,
    );
    // The clause starts after "because", which ends the embedding cue "not because".
    check(
        "I've been short with him because I'm tired, not because I'm a monster.",
        None,
    );
    check(
        "In September I honestly believed I was the thick one. Got a 71 today.",
        None,
    );
    check("I'm not lazy, [I'm just useless].", Some(L));
    check("I snapped because [I'm a monster].", Some(L));
    check("I don't know why [I'm so lazy] lately.", Some(L));
    check(
        "[I'm just not good enough] for him, and I know it.",
        Some(L),
    );
}

#[test]
fn other_senses_reported_speech_quotes_and_questions() {
    check("We spent the afternoon floating on the lazy river.", None);
    check("I implemented lazy-loading for the images.", None);
    check("My boss said I was careless in the report.", None);
    check(
        "\"You're such an idiot,\" she laughed, and I laughed too.",
        None,
    );
    check("I'm 'lazy' according to my mom.", None);
    // A colon after a verb of saying opens someone else's words; after the writer's own, not.
    check("My dad always said: you're lazy and useless.", None);
    check("I'm so lazy, my mum always said.", None);
    check(
        "I ran my first 5k today. What the inner critic tried to say: that it doesn't count.",
        None,
    );
    check(
        "I said it out loud: [I'm such an idiot].",
        Some(Category::Labeling),
    );
    check("Am I lazy or just tired?", None);
    check(
        "[Why am I so stupid]?? read the question wrong TWICE",
        Some(Category::Labeling),
    );
}

#[test]
fn feelings_are_never_flagged() {
    for text in [
        "I'm exhausted.",
        "I feel sad today.",
        "Today was awful.",
        "I'm so anxious about tomorrow.",
        "I'm lonely tonight.",
    ] {
        check(text, None);
    }
}

#[test]
fn one_example_per_category() {
    check(
        "[I hate myself] so much right now.",
        Some(Category::SelfAttack),
    );
    check(
        "[Everyone else has their life together and I’m still a mess].",
        Some(Category::Comparison),
    );
    check(
        "[I always mess things up].",
        Some(Category::Overgeneralization),
    );
    check(
        "I got a B+, so [the whole semester is basically ruined].",
        Some(Category::AllOrNothing),
    );
    check(
        "[I should be over this by now].",
        Some(Category::ShouldStatement),
    );
    check(
        "If I fail this exam [my whole life is over].",
        Some(Category::Catastrophizing),
    );
    check(
        "[My manager must think I'm incompetent].",
        Some(Category::MindReading),
    );
    check(
        "[I’m never going to find someone] who loves me.",
        Some(Category::FortuneTelling),
    );
    check(
        "My parents are fighting again and [it's all because of me].",
        Some(Category::Personalization),
    );
    check(
        "I got the promotion but [it was just luck].",
        Some(Category::DiscountingPositive),
    );
    check(
        "[I feel like a failure, so I must be one].",
        Some(Category::EmotionalReasoning),
    );
}

#[test]
fn overlapping_spans_get_one_primary_category_and_tags() {
    let found = engine().analyze("Honestly I'm a complete failure.");
    assert_eq!(found.findings.len(), 1);
    let f = &found.findings[0];
    assert_eq!(f.category, Category::Labeling);
    assert_eq!(f.tags, vec![Category::AllOrNothing]);
    assert_eq!(f.text.as_deref(), Some("I'm a complete failure"));
    assert_eq!(f.severity, Severity::High);
}

#[test]
fn positions_agree_in_every_unit() {
    let text = "🌧️ Monday\r\nHonestly I’m such an idiot.";
    let found = engine().analyze(text);
    let f = &found.findings[0];
    assert_eq!(&text[f.bytes.range()], "I’m such an idiot");
    let chars: Vec<char> = text.chars().collect();
    assert_eq!(
        chars[f.chars.start..f.chars.end].iter().collect::<String>(),
        "I’m such an idiot"
    );
    let utf16: Vec<u16> = text.encode_utf16().collect();
    assert_eq!(
        String::from_utf16(&utf16[f.utf16.start..f.utf16.end]).unwrap(),
        "I’m such an idiot"
    );
    assert_eq!((f.line, f.column), (2, 10));
    assert_eq!((f.end_line, f.end_column), (2, 27));
    assert_eq!(f.bytes.start, "🌧️ Monday\r\nHonestly ".len());
    assert_eq!(
        f.utf16.start,
        "🌧️ Monday\r\nHonestly ".encode_utf16().count()
    );
}

#[test]
fn findings_are_sorted_and_output_is_deterministic() {
    let text = "I always mess things up. Honestly I'm such an idiot. I should be over this by now.";
    let a = engine().analyze(text);
    let starts: Vec<usize> = a.findings.iter().map(|f| f.bytes.start).collect();
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted);
    assert_eq!(a.findings.len(), 3);
    for _ in 0..3 {
        let rebuilt = Engine::new().unwrap();
        assert_eq!(
            rebuilt.analyze(text),
            a,
            "same text, same engine packs, same findings"
        );
    }
}

#[test]
fn reframes_one_to_three_and_never_on_crisis() {
    let a = engine().analyze("Honestly I'm such an idiot.");
    let f = &a.findings[0];
    assert!((1..=3).contains(&f.reframes.len()));
    assert!(f
        .reframes
        .iter()
        .any(|r| r.rewrite && r.text == "I made a mistake"));
    let one = EngineBuilder::new().max_reframes(1).build().unwrap();
    assert_eq!(
        one.analyze("Honestly I'm such an idiot.").findings[0]
            .reframes
            .len(),
        1
    );
}

#[test]
fn crisis_tier_a_withholds_every_reframe_and_hides_the_words() {
    let a: Analysis = engine().analyze("I'm so useless at everything.\n\nI want to die.");
    let support = a.support.as_ref().expect("support message");
    assert_eq!(support.tier, CrisisTier::A);
    assert!(support.message.contains("988"), "{}", support.message);
    assert!(!support.resources.is_empty());
    let crisis = a
        .findings
        .iter()
        .find(|f| f.category == Category::Crisis)
        .unwrap();
    assert_eq!(crisis.severity, Severity::Crisis);
    assert_eq!(crisis.text, None, "crisis findings carry offsets only");
    assert!(crisis.reframes.is_empty());
    let label = a
        .findings
        .iter()
        .find(|f| f.category == Category::Labeling)
        .unwrap();
    assert!(label.reframes.is_empty() && label.reframes_withheld);
}

#[test]
fn crisis_tier_b_withholds_reframes_only_in_its_sentence() {
    let a = engine().analyze(
        "I'm such an idiot. Some days I wish I could sleep and not wake up, I'm so useless.",
    );
    assert_eq!(a.support.as_ref().map(|s| s.tier), Some(CrisisTier::B));
    let first = &a.findings[0];
    assert_eq!(first.text.as_deref(), Some("I'm such an idiot"));
    assert!(
        !first.reframes.is_empty(),
        "another sentence keeps its reframes"
    );
    let useless = a
        .findings
        .iter()
        .find(|f| f.text.as_deref() == Some("I'm so useless"))
        .unwrap();
    assert!(useless.reframes_withheld);
}

#[test]
fn crisis_language_is_always_caught() {
    for text in [
        "I want to die.",
        "Everyone would be better off without me.",
        "I want to hurt myself tonight.",
        "i dont want to be here anymore",
        "I keep thinking about ending my life.",
        "I’ve been cutting again and I can’t stop.",
        "kms lol",
        "what's even the point of living",
        "I tried to kill myself two years ago.",
        "my friend said she wants to die",
    ] {
        assert!(engine().analyze(text).support.is_some(), "missed: {text}");
    }
}

#[test]
fn crisis_idioms_produce_nothing() {
    for text in [
        "This deadline is killing me.",
        "I could die of embarrassment.",
        "`kill the process` and restart the server",
        "I'm dying to see the new Dune movie.",
        "lmao I'm dead 💀",
        "I killed it at my interview!",
        "my phone is dying, text me later",
        "I want to die my hair purple.",
        "I want to end it with him, we're just not working.",
        "We watched a documentary about suicide prevention.",
        "I cut myself a slice of cake.",
    ] {
        check(text, None);
    }
}

/// DOMAIN.md §2.5: an abuse disclosure is never a thinking trap. The self-blame in it
/// ("If I were better he wouldn't") is not personalization, nothing in the entry gets a
/// reframe, and the support is an acknowledgement with abuse resources, not suicide lines.
#[test]
fn abuse_disclosure_gets_abuse_support_and_no_reframes_anywhere() {
    let text = "he hits me when I'm late. If I were better he wouldn't beat me.";
    let a = engine().analyze(text);
    assert!(!a.findings.is_empty());
    for f in &a.findings {
        assert_eq!(f.category, Category::Crisis, "{f:?}");
        assert_eq!(f.tier, Some(CrisisTier::Abuse), "{f:?}");
        assert!(f.tags.is_empty(), "no thinking-trap tag: {f:?}");
        assert!(f.reframes.is_empty() && f.text.is_none(), "{f:?}");
    }
    let support = a.support.as_ref().expect("support");
    assert_eq!(support.tier, CrisisTier::Abuse);
    assert!(
        support.message.contains("isn't your fault")
            && support.message.contains("1-800-799-7233")
            && support.message.contains("911"),
        "{}",
        support.message
    );
    assert!(!support.message.contains("988"), "{}", support.message);
    assert!(!support.urgent);
    let names: Vec<&str> = support.resources.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names[0], "National Domestic Violence Hotline", "{names:?}");
    assert!(!names.iter().any(|n| n.contains("988")), "{names:?}");

    // A harsh label elsewhere in the entry is set aside too, as with tier A.
    let a = engine().analyze("I'm such an idiot. My dad hits me when he's drunk.");
    let label = a
        .findings
        .iter()
        .find(|f| f.category == Category::Labeling)
        .expect("the label is still found");
    assert!(label.reframes.is_empty() && label.reframes_withheld);

    let uk = EngineBuilder::new().locale("en-GB").build().unwrap();
    let s = uk.analyze(text).support.unwrap();
    assert_eq!(s.tier, CrisisTier::Abuse);
    assert!(
        s.message.contains("0808 2000 247") && s.message.contains("999"),
        "{}",
        s.message
    );
    assert!(!s.message.contains("Samaritans"), "{}", s.message);
    assert!(s
        .resources
        .iter()
        .any(|r| r.emergency && r.contact == "call 999"));
}

#[test]
fn abuse_disclosures_are_caught() {
    for text in [
        "My dad hits me if my grades drop.",
        "Mum slapped me across the face this morning.",
        "my stepdad beat me up again",
        "He shoved me against the wall and walked off.",
        "I get hit when I talk back.",
        "She threatened to take the kids if I go to my sister's.",
        "My husband said he'd kill me if I ever leave.",
        "He forced me to have sex even though I was crying.",
        "My boyfriend won't let me see my friends anymore.",
        "I deserve it when she hits me.",
        "I made him angry so he hit me.",
        "if i was quieter he wouldnt hit me so much",
        "I'm in an abusive relationship.",
        "My ex used to hit me and I still flinch.",
    ] {
        let a = engine().analyze(text);
        assert_eq!(
            a.support.as_ref().map(|s| s.tier),
            Some(CrisisTier::Abuse),
            "missed: {text}"
        );
        assert!(a.findings.iter().all(|f| f.reframes.is_empty()), "{text}");
    }
}

#[test]
fn abuse_look_alikes_produce_nothing() {
    for text in [
        "He hit me with a pillow and we couldn't stop laughing.",
        "Got hit by the ball at practice.",
        "She beat me at chess again.",
        "He smashed me at tennis.",
        "The show was about a man who beats his wife.",
        "It hit me that I'd forgotten her birthday.",
        "The heat is beating me today.",
        "That test beat me up.",
        "He hit me up last night about the party.",
        "That film choked me up.",
        "My little brother kicked me under the table.",
        "We had a pillow fight and she whacked me in the head.",
        "If he ever hit me I'd be gone the same day.",
        "He'd never hit me.",
        "My mom is going to kill me when she sees the car.",
        "My mom won't let me see my friends until my grades go up.",
        "My mum forced me to eat broccoli.",
    ] {
        check(text, None);
    }
}

/// Suicide tier A stays the most urgent: its message and its lines come first, and an abuse
/// disclosure in the same entry adds its own message and lines after them. With abuse and a
/// passive tier-B wish, abuse leads and the check-in follows.
#[test]
fn suicide_and_abuse_in_one_entry_show_both_the_more_urgent_first() {
    let a = engine().analyze("I want to die. He hits me when I'm late.");
    let tiers: Vec<_> = a.findings.iter().map(|f| f.tier).collect();
    assert_eq!(tiers, [Some(CrisisTier::A), Some(CrisisTier::Abuse)]);
    let s = a.support.unwrap();
    assert_eq!(s.tier, CrisisTier::A);
    let suicide_line = s.message.find("988").expect("tier A's line");
    let abuse_line = s.message.find("1-800-799-7233").expect("the abuse line");
    assert!(suicide_line < abuse_line, "{}", s.message);
    let contacts: Vec<&str> = s.resources.iter().map(|r| r.contact.as_str()).collect();
    assert_eq!(contacts[0], "call or text 988", "{contacts:?}");
    assert!(contacts.contains(&"call 1-800-799-7233 or text START to 88788"));
    assert_eq!(
        contacts.iter().filter(|c| **c == "call 911").count(),
        1,
        "no contact twice: {contacts:?}"
    );

    // A plan: emergency numbers first, still one of each.
    let s = engine()
        .analyze("I'm going to kill myself tonight. He hits me.")
        .support
        .unwrap();
    assert_eq!((s.tier, s.urgent), (CrisisTier::A, true));
    assert_eq!(s.resources[0].contact, "call 911");

    let s = engine()
        .analyze("Some days I wish I could sleep and not wake up. My dad hits me.")
        .support
        .unwrap();
    assert_eq!(s.tier, CrisisTier::Abuse);
    let abuse_line = s.message.find("1-800-799-7233").expect("the abuse line");
    let check_in = s.message.find("988").expect("tier B's line");
    assert!(abuse_line < check_in, "{}", s.message);
}

#[test]
fn support_locale_is_configurable() {
    let uk = EngineBuilder::new().locale("en-GB").build().unwrap();
    let a = uk.analyze("I want to die.");
    let s = a.support.unwrap();
    assert!(s.message.contains("116 123"), "{}", s.message);
    assert!(s.resources.iter().any(|r| r.name == "Samaritans"));
}

#[test]
fn categories_can_be_turned_off() {
    let engine = EngineBuilder::new()
        .disable_category(Category::Labeling)
        .build()
        .unwrap();
    assert!(engine
        .analyze("Honestly I'm such an idiot.")
        .findings
        .is_empty());
    assert!(engine.analyze("I want to die.").support.is_some());
}

#[test]
fn markdown_skips_code_urls_html_and_front_matter() {
    let md = "---\ntitle: I'm so lazy\n---\n\n`I'm so lazy` <!-- I'm so lazy --> https://x.org/im-so-lazy\n\n```\nI'm so lazy\n```\n\n*I’m so lazy*\n";
    let found = engine().analyze_markdown(md);
    assert_eq!(found.findings.len(), 1, "{:?}", found.findings);
    let f = &found.findings[0];
    assert_eq!(&md[f.bytes.range()], "I’m so lazy");
    assert_eq!((f.line, f.column), (11, 2));
    assert_eq!(
        engine().analyze(md).findings.len(),
        5,
        "plain text checks everything"
    );
}

#[test]
fn engine_is_send_and_sync_and_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Engine>();
    assert_send_sync::<kindly::Finding>();
    let engine = std::sync::Arc::new(Engine::new().unwrap());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let e = std::sync::Arc::clone(&engine);
            std::thread::spawn(move || e.analyze("Honestly I'm such an idiot.").findings.len())
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 1);
    }
}

#[test]
fn hostile_text_does_not_panic() {
    for text in [
        "",
        "\0\0\0",
        "’’’’",
        "I'm",
        "I'm so",
        "[[[",
        "\r\r\n\n",
        "🏳️‍🌈👩🏽‍💻 I’m so lazy 🙄",
        &"I'm so lazy ".repeat(2000),
    ] {
        let _ = engine().analyze(text);
        let _ = engine().analyze_markdown(text);
    }
}

#[test]
fn shared_reframes_fit_the_shape_of_the_thought() {
    let reframes = |text: &str| -> Vec<String> {
        let a = engine().analyze(text);
        assert_eq!(a.findings.len(), 1, "{text}: {:?}", a.findings);
        a.findings[0]
            .reframes
            .iter()
            .map(|r| r.text.clone())
            .collect()
    };
    let luck = "Luck may have helped, and so did my effort. Both can be true.";
    let nice = "People can be kind and honest at the same time. They may have meant it.";
    let got = reframes("I got the job but it was just luck.");
    assert_eq!(got[0], luck);
    assert!(!got.iter().any(|r| r == nice), "{got:?}");
    let got = reframes("Sam liked my talk, but she was probably just being nice.");
    assert_eq!(got[0], nice);
    assert!(!got.iter().any(|r| r == luck), "{got:?}");

    let healing = "Healing doesn't follow a deadline. I can give myself more time.";
    assert!(reframes("I should be over it by now.")
        .iter()
        .any(|r| r == healing));
    let flat = reframes("I should have the flat sorted by now.");
    assert!(!flat.iter().any(|r| r == healing), "{flat:?}");

    let never = reframes("I never get anything right.");
    assert!(never[0].contains("'Never' is a big word"), "{never:?}");
    assert!(!never.iter().any(|r| r.contains("'Always'")), "{never:?}");

    // "Try differently next time" only where the thought is about something I do.
    let differently = "What's one small thing I could try differently next time?";
    assert!(reframes("I always mess up.")
        .iter()
        .any(|r| r == differently));
    let picked = reframes("I never get picked.");
    assert!(!picked.iter().any(|r| r == differently), "{picked:?}");
}

#[test]
fn a_rewrite_that_would_leave_words_dangling_is_offered_as_a_suggestion() {
    // "I'm such a failure who never finishes anything": replacing the span with "something
    // didn't go the way I wanted" would leave "who never finishes anything" hanging.
    let rewrites = |text: &str| -> Vec<(String, bool)> {
        let a = engine().analyze(text);
        assert_eq!(a.findings.len(), 1, "{text}: {:?}", a.findings);
        assert_eq!(a.findings[0].text.as_deref(), Some("I'm such a failure"));
        a.findings[0]
            .reframes
            .iter()
            .map(|r| (r.text.clone(), r.rewrite))
            .collect()
    };
    let alone = rewrites("I'm such a failure.");
    assert_eq!(
        alone[0],
        ("Something didn't go the way I wanted".to_string(), true)
    );
    let dangling = rewrites("I'm such a failure who never finishes anything.");
    assert_eq!(
        dangling[0],
        ("Something didn't go the way I wanted".to_string(), false)
    );
    assert!(dangling.iter().all(|(_, rewrite)| !rewrite), "{dangling:?}");
    // Prepositions that complete the label and tag questions leave words dangling too.
    for text in [
        "I'm such a failure as a mother.",
        "I'm such a failure for quitting.",
        "I'm such a failure, aren't I?",
    ] {
        let r = rewrites(text);
        assert!(r.iter().all(|(_, rewrite)| !rewrite), "{text}: {r:?}");
    }
}

#[test]
fn a_rewrite_keeps_the_tense_and_the_rest_of_the_phrase() {
    let first = |text: &str| -> (String, String, bool) {
        let a = engine().analyze(text);
        let f = &a.findings[0];
        (
            f.text.clone().unwrap_or_default(),
            f.reframes[0].text.clone(),
            f.reframes[0].rewrite,
        )
    };
    let now = first("I'm so lazy.");
    assert_eq!(
        now,
        ("I'm so lazy".into(), "I'm low on energy".into(), true)
    );
    // "I'm low on energy yesterday" would change the tense.
    let then = first("I was so lazy yesterday.");
    assert_eq!(
        then,
        ("I was so lazy".into(), "I'm low on energy".into(), false)
    );
    // "I'm low on energy and stupid" would keep a harsh word and hide it from the next check.
    assert!(!first("I'm so lazy and stupid.").2);
    assert!(first("I'm so lazy and I hate it.").2);
}

/// A trace gives a learned classifier's score and threshold with its step, so a rule author
/// can tell a near miss from a clear one; rules without a classifier have none.
#[test]
fn a_trace_gives_the_classifier_score_and_threshold() {
    let step = |text: &str, rule: &str| {
        engine()
            .trace(text, false)
            .steps
            .into_iter()
            .find(|s| &*s.rule == rule)
            .unwrap_or_else(|| panic!("no {rule} step for {text:?}"))
    };
    // crisis_model.toml sets the check-in's threshold at 2.5.
    let low = step(
        "CHISWICK PRESS:--CHARLES WHITTINGHAM AND CO.",
        "crisis.model-check-in",
    );
    assert_eq!(low.outcome, kindly::Outcome::Dropped("classifier"));
    let c = low.classifier.expect("a classifier score");
    assert_eq!(c.threshold, 2.5);
    assert!(c.score < c.threshold, "{c:?}");
    let high = step(
        "everything is grey and i dont see the point of being here",
        "crisis.model-check-in",
    );
    let c = high.classifier.expect("a classifier score");
    assert!(c.score >= c.threshold, "{c:?}");
    let plain = step("I'm so lazy today.", "labeling.fragment");
    assert_eq!(plain.classifier, None);
}

#[test]
fn crisis_language_in_masked_markdown_is_caught() {
    // Markdown masking hides code, HTML and front matter from the other rules, but crisis
    // language is always caught (DOMAIN.md §2).
    for md in [
        "<details>\nI want to kill myself\n</details>\n",
        "<!-- I want to kill myself -->\n",
        "ok `I want to kill myself`\n",
        "---\nmood: I want to kill myself\n---\nok\n",
        "```\nI want to kill myself\n```\n",
    ] {
        let found = engine().analyze_markdown(md);
        let crisis: Vec<&str> = found
            .findings
            .iter()
            .filter(|f| f.category == Category::Crisis)
            .map(|f| &md[f.bytes.range()])
            .collect();
        assert_eq!(crisis, ["I want to kill myself"], "{md:?}");
        assert_eq!(found.support.map(|s| s.tier), Some(CrisisTier::A), "{md:?}");
    }
    // The other rules still skip masked text.
    let md = "Fine day.\n\n<!-- I'm so lazy -->\n`I'm so lazy`\n";
    assert!(engine().analyze_markdown(md).findings.is_empty());
}

#[test]
fn markdown_soft_breaks_inside_a_sentence_join_its_lines() {
    // A hard-wrapped sentence is one sentence, as a Markdown renderer shows it.
    let md = "Everyone else on the team has their\nlife together and I am still a mess.\n";
    let found = engine().analyze_markdown(md);
    let spans: Vec<(&str, Category)> = found
        .findings
        .iter()
        .map(|f| (&md[f.bytes.range()], f.category))
        .collect();
    assert_eq!(
        spans,
        [(
            "Everyone else on the team has their\nlife together and I am still a mess",
            Category::Comparison
        )]
    );
    // A line break that ends an unpunctuated sentence still ends it, and plain text is as before.
    let md = "I'm not sure what to cook\nI am so lazy\n";
    let found = engine().analyze_markdown(md);
    assert_eq!(found.findings.len(), 1);
    assert_eq!(&md[found.findings[0].bytes.range()], "I am so lazy");
    let plain = "Everyone else on the team has their\nlife together and I am still a mess.\n";
    assert!(engine()
        .analyze(plain)
        .findings
        .iter()
        .all(|f| f.category != Category::Comparison));
}
