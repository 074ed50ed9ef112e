use super::*;

fn established() -> (SessionCore, Output) {
    let mut out = Output::default();
    let mut s = SessionCore::start(1, "realm1", r#"{"roles":{}}"#, &mut out);
    assert_eq!(out.to_router, vec![r#"[1,"realm1",{"roles":{}}]"#]);
    out.clear();
    s.on_message(r#"[2, 9129137332, {"authid":"x"}]"#, &mut out);
    assert_eq!(out.to_js, vec![r#"[1000,1,9129137332,{"authid":"x"}]"#]);
    assert!(s.is_established());
    out.clear();
    (s, out)
}

#[test]
fn one_request_counter_for_all_request_types() {
    let (mut s, mut out) = established();
    s.on_command(r#"[64,7,{},"com.x.reg"]"#, &mut out).unwrap();
    s.on_command(r#"[48,8,{},"com.x.call",[1,2]]"#, &mut out)
        .unwrap();
    s.on_command(r#"[16,0,{},"com.x.topic",["a"]]"#, &mut out)
        .unwrap();
    s.on_command(r#"[48,9,{},"com.x.call"]"#, &mut out).unwrap();
    assert_eq!(
        out.to_router,
        vec![
            r#"[64,1,{},"com.x.reg"]"#,
            r#"[48,2,{},"com.x.call",[1,2]]"#,
            r#"[16,3,{},"com.x.topic",["a"]]"#,
            r#"[48,4,{},"com.x.call"]"#,
        ]
    );
    // The unacknowledged publish is not pending; the three others are.
    assert_eq!(s.pending_requests(), 3);
}

#[test]
fn results_are_routed_to_their_handle_with_raw_payload() {
    let (mut s, mut out) = established();
    s.on_command(r#"[48,42,{"receive_progress":true},"com.x"]"#, &mut out)
        .unwrap();
    out.clear();
    s.on_message(r#"[50,1,{"progress":true},[1]]"#, &mut out);
    s.on_message(r#"[50,1,{},[{"big":[1,2,3]}],{"k":"v"}]"#, &mut out);
    assert_eq!(
        out.to_js,
        vec![
            r#"[50,42,{"progress":true},[1]]"#,
            r#"[50,42,{},[{"big":[1,2,3]}],{"k":"v"}]"#
        ]
    );
    assert_eq!(s.pending_requests(), 0);
    // A second final result for the same request is a violation.
    out.clear();
    s.on_message(r#"[50,1,{}]"#, &mut out);
    assert!(out.close_transport);
    assert_eq!(s.leave_info().unwrap().reason, PROTOCOL_VIOLATION);
    assert!(out.to_router[0].starts_with("[3,{\"message\":"));
}

#[test]
fn errors_must_match_the_request_type() {
    let (mut s, mut out) = established();
    s.on_command(r#"[32,5,{},"com.topic"]"#, &mut out).unwrap();
    out.clear();
    s.on_message(r#"[8,48,1,{},"wamp.error.x"]"#, &mut out);
    assert!(out.close_transport, "ERROR of the wrong type must abort");

    let (mut s, mut out) = established();
    s.on_command(r#"[48,5,{},"com.proc"]"#, &mut out).unwrap();
    out.clear();
    s.on_message(
        r#"[8,48,1,{},"wamp.error.no_such_procedure",["a"],{"b":1}]"#,
        &mut out,
    );
    assert_eq!(
        out.to_js,
        vec![r#"[8,5,"wamp.error.no_such_procedure",{},["a"],{"b":1}]"#]
    );
    assert!(!out.close_transport);
}

#[test]
fn subscriptions_gate_events_until_unsubscribed() {
    let (mut s, mut out) = established();
    s.on_command(r#"[32,1,{},"com.topic"]"#, &mut out).unwrap();
    s.on_message("[33,1,777]", &mut out);
    s.on_message(r#"[36,777,55,{},["hi"]]"#, &mut out);
    s.on_command("[34,2,777]", &mut out).unwrap();
    // An event that crossed the UNSUBSCRIBE is still delivered.
    s.on_message(r#"[36,777,56,{}]"#, &mut out);
    s.on_message("[35,2]", &mut out);
    assert_eq!(
        out.to_js,
        vec![
            "[33,1,777]",
            r#"[36,777,55,{},["hi"]]"#,
            "[36,777,56,{}]",
            "[35,2]"
        ]
    );
    out.clear();
    s.on_message(r#"[36,777,57,{}]"#, &mut out);
    assert!(
        out.close_transport,
        "EVENT after UNSUBSCRIBED is a violation"
    );
}

#[test]
fn invocations_are_answered_once() {
    let (mut s, mut out) = established();
    s.on_command(r#"[64,3,{},"com.proc"]"#, &mut out).unwrap();
    s.on_message("[65,1,99]", &mut out);
    s.on_message(r#"[68,11,99,{},[1,2]]"#, &mut out);
    assert_eq!(out.to_js[1], r#"[68,11,99,{},[1,2]]"#);
    out.clear();
    s.on_command(r#"[70,11,{"progress":true},[1]]"#, &mut out)
        .unwrap();
    s.on_command(r#"[70,11,{},[3]]"#, &mut out).unwrap();
    s.on_command(r#"[70,11,{},[4]]"#, &mut out).unwrap();
    assert_eq!(
        out.to_router,
        vec![r#"[70,11,{"progress":true},[1]]"#, r#"[70,11,{},[3]]"#]
    );
    // An invocation for a registration we do not have is refused, not dropped.
    out.clear();
    s.on_message(r#"[68,12,100,{}]"#, &mut out);
    assert_eq!(
        out.to_router,
        vec![r#"[8,68,12,{},"wamp.error.no_such_registration"]"#]
    );
}

#[test]
fn goodbye_from_router_is_answered() {
    let (mut s, mut out) = established();
    s.on_message(
        r#"[6,{"message":"bye"},"wamp.close.system_shutdown"]"#,
        &mut out,
    );
    assert_eq!(
        out.to_router,
        vec![r#"[6,{},"wamp.close.goodbye_and_out"]"#]
    );
    assert!(out.close_transport);
    let leave = s.leave_info().unwrap();
    assert_eq!(leave.reason, "wamp.close.system_shutdown");
    assert_eq!(leave.message, "bye");
    assert!(!leave.violation);
}

#[test]
fn our_goodbye_waits_for_the_reply() {
    let (mut s, mut out) = established();
    assert!(s.leave("wamp.close.normal", Some("done"), &mut out));
    assert_eq!(
        out.to_router,
        vec![r#"[6,{"message":"done"},"wamp.close.normal"]"#]
    );
    assert!(!out.close_transport);
    out.clear();
    s.on_message(r#"[6,{},"wamp.close.normal"]"#, &mut out);
    assert!(
        out.to_router.is_empty(),
        "a reply to our GOODBYE is not answered"
    );
    assert!(out.close_transport);
}

#[test]
fn abort_before_welcome_ends_the_session() {
    let mut out = Output::default();
    let mut s = SessionCore::start(1, "nope", "{}", &mut out);
    out.clear();
    s.on_message(
        r#"[3,{"message":"no realm"},"wamp.error.no_such_realm"]"#,
        &mut out,
    );
    assert!(out.close_transport);
    assert_eq!(
        s.leave_info().unwrap(),
        &Leave {
            reason: "wamp.error.no_such_realm".into(),
            message: "no realm".into(),
            violation: false
        }
    );
}

#[test]
fn messages_before_welcome_are_violations() {
    let mut out = Output::default();
    let mut s = SessionCore::start(1, "realm1", "{}", &mut out);
    out.clear();
    s.on_message("[33,1,2]", &mut out);
    assert!(out.close_transport);
    assert!(out.to_js[0].contains("before the session was established"));
}

#[test]
fn malformed_frames_and_unknown_types_abort() {
    for bad in ["not json", "[]", "[999,1]", r#"[36,1,2,"x"]"#, "[2,1,{}]"] {
        let (mut s, mut out) = established();
        s.on_message(bad, &mut out);
        assert!(out.close_transport, "{bad} should abort");
        assert_eq!(s.state(), State::Ended);
    }
}

#[test]
fn cancelled_calls_drop_late_replies() {
    let (mut s, mut out) = established();
    s.on_command(r#"[48,5,{},"com.slow"]"#, &mut out).unwrap();
    s.on_command(r#"[49,5,{"mode":"killnowait"}]"#, &mut out)
        .unwrap();
    assert_eq!(out.to_router[1], r#"[49,1,{"mode":"killnowait"}]"#);
    out.clear();
    s.on_message(r#"[8,48,1,{},"wamp.error.canceled"]"#, &mut out);
    s.on_message(r#"[50,1,{},["late"]]"#, &mut out);
    assert!(out.to_js.is_empty());
    assert!(!out.close_transport);
}

#[test]
fn a_kill_cancel_waits_for_the_answer_and_drops_repeats() {
    let (mut s, mut out) = established();
    s.on_command(r#"[48,5,{},"com.slow"]"#, &mut out).unwrap();
    s.on_command(r#"[49,5,{"mode":"kill"}]"#, &mut out).unwrap();
    out.clear();
    s.on_message(r#"[8,48,1,{},"wamp.error.canceled"]"#, &mut out);
    s.on_message(r#"[8,48,1,{},"wamp.error.canceled"]"#, &mut out);
    assert_eq!(out.to_js, vec![r#"[8,5,"wamp.error.canceled",{}]"#]);
    assert!(!out.close_transport);
}

#[test]
fn oversized_requests_fail_alone() {
    let (mut s, mut out) = established();
    s.on_command(r#"[48,5,{},"com.big",["xxxx"]]"#, &mut out)
        .unwrap();
    s.on_command(r#"[64,6,{},"com.proc"]"#, &mut out).unwrap();
    s.on_message("[65,2,99]", &mut out);
    s.on_message(r#"[68,11,99,{}]"#, &mut out);
    s.on_command(r#"[70,11,{},["huge"]]"#, &mut out).unwrap();
    out.clear();
    assert!(s.refuse_outgoing(r#"[48,1,{},"com.big",["xxxx"]]"#, "9 bytes", &mut out));
    assert!(out.to_js[0]
        .starts_with(r#"[8,5,"wamp.error.payload_size_exceeded",{},["the message is too large"#));
    assert_eq!(s.pending_requests(), 0, "the call is settled");
    out.clear();
    assert!(s.refuse_outgoing(r#"[70,11,{},["huge"]]"#, "9 bytes", &mut out));
    assert!(out.to_router[0].starts_with(r#"[8,68,11,{},"wamp.error.payload_size_exceeded""#));
    assert!(
        !s.refuse_outgoing(&out.to_router[0].clone(), "9 bytes", &mut out),
        "no loop"
    );
    assert!(!s.refuse_outgoing(r#"[5,"sig",{}]"#, "9 bytes", &mut out));
    assert!(s.is_established());
}

#[test]
fn tombstones_are_bounded() {
    let mut t = Tombstones::default();
    for id in 1..=2000 {
        t.insert(id);
    }
    assert!(!t.contains(1));
    assert!(t.contains(2000));
    assert_eq!(t.ids.len(), Tombstones::CAPACITY);
}

#[test]
fn interrupt_kill_answers_and_drops_the_late_result() {
    let (mut s, mut out) = established();
    s.on_command(r#"[64,3,{},"com.proc"]"#, &mut out).unwrap();
    s.on_message("[65,1,99]", &mut out);
    s.on_message(r#"[68,11,99,{}]"#, &mut out);
    s.on_message(r#"[68,12,99,{}]"#, &mut out);
    out.clear();
    s.on_message(r#"[69,11,{"mode":"kill"}]"#, &mut out);
    s.on_message(r#"[69,12,{"mode":"killnowait"}]"#, &mut out);
    assert_eq!(out.to_router, vec![r#"[8,68,11,{},"wamp.error.canceled"]"#]);
    assert_eq!(
        out.to_js,
        vec![
            r#"[69,11,{"mode":"kill"}]"#,
            r#"[69,12,{"mode":"killnowait"}]"#
        ]
    );
    out.clear();
    s.on_command(r#"[70,11,{},["late"]]"#, &mut out).unwrap();
    s.on_command(r#"[70,12,{},["late"]]"#, &mut out).unwrap();
    s.on_message(r#"[69,13,{"mode":"kill"}]"#, &mut out);
    assert!(
        out.to_router.is_empty(),
        "late answers and unknown interrupts send nothing"
    );
    assert!(out.to_js.is_empty());
}

#[test]
fn progressive_call_invocations_share_one_request_id() {
    let (mut s, mut out) = established();
    s.on_command(r#"[48,7,{"progress":true},"com.up",[1]]"#, &mut out)
        .unwrap();
    s.on_command(r#"[16,0,{},"t"]"#, &mut out).unwrap();
    s.on_command(r#"[48,7,{"progress":true},"com.up",[2]]"#, &mut out)
        .unwrap();
    s.on_command(r#"[48,7,{},"com.up",[3]]"#, &mut out).unwrap();
    s.on_command(r#"[48,8,{},"com.other"]"#, &mut out).unwrap();
    assert_eq!(
        out.to_router,
        vec![
            r#"[48,1,{"progress":true},"com.up",[1]]"#,
            r#"[16,2,{},"t"]"#,
            r#"[48,1,{"progress":true},"com.up",[2]]"#,
            r#"[48,1,{},"com.up",[3]]"#,
            r#"[48,3,{},"com.other"]"#,
        ]
    );
    out.clear();
    s.on_message(r#"[50,1,{},["sum",6]]"#, &mut out);
    assert_eq!(out.to_js, vec![r#"[50,7,{},["sum",6]]"#]);
}

#[test]
fn progressive_invocations_continue_until_the_last_input() {
    let (mut s, mut out) = established();
    s.on_command(r#"[64,3,{},"com.proc"]"#, &mut out).unwrap();
    s.on_message("[65,1,99]", &mut out);
    s.on_message(r#"[68,11,99,{"progress":true},[1]]"#, &mut out);
    s.on_message(r#"[68,11,99,{"progress":true},[2]]"#, &mut out);
    s.on_message(r#"[68,11,99,{},[3]]"#, &mut out);
    assert!(!out.close_transport);
    assert_eq!(out.to_js.len(), 4);
    // After the last input, the id may not be reused.
    s.on_message(r#"[68,11,99,{},[4]]"#, &mut out);
    assert!(out.close_transport);
}

#[test]
fn revocation_reports_the_reason() {
    let (mut s, mut out) = established();
    s.on_command(r#"[64,3,{},"com.proc"]"#, &mut out).unwrap();
    s.on_message("[65,1,99]", &mut out);
    out.clear();
    s.on_message(
        r#"[67,0,{"registration":99,"reason":"wamp.error.killed"}]"#,
        &mut out,
    );
    assert_eq!(out.to_js, vec![r#"[67,0,99,"wamp.error.killed"]"#]);
}

#[test]
fn commands_after_the_session_ended_are_not_sent() {
    let (mut s, mut out) = established();
    s.on_message(r#"[6,{},"wamp.close.killed"]"#, &mut out);
    out.clear();
    s.on_command(r#"[48,5,{},"com.proc"]"#, &mut out).unwrap();
    assert!(out.to_router.is_empty());
}

#[test]
fn request_ids_wrap_after_2_pow_53() {
    let (mut s, mut out) = established();
    s.next_request = m::MAX_ID;
    s.on_command(r#"[16,0,{},"t"]"#, &mut out).unwrap();
    s.on_command(r#"[16,0,{},"t"]"#, &mut out).unwrap();
    assert_eq!(out.to_router[0], r#"[16,9007199254740992,{},"t"]"#);
    assert_eq!(out.to_router[1], r#"[16,1,{},"t"]"#);
}

#[test]
fn malformed_commands_are_typed_errors() {
    let (mut s, mut out) = established();
    assert!(matches!(
        s.on_command("not json", &mut out),
        Err(CommandError::Unparsable(_))
    ));
    assert_eq!(
        s.on_command("[2,1,{}]", &mut out),
        Err(CommandError::Unsupported(2))
    );
    let err = s
        .on_command(r#"[48,"x",{},"com.proc"]"#, &mut out)
        .unwrap_err();
    assert!(matches!(err, CommandError::Malformed { .. }));
    assert!(
        err.to_string().starts_with(r#"malformed command [48,"x""#),
        "{err}"
    );
    assert!(
        out.to_router.is_empty(),
        "nothing is sent for a bad command"
    );
}

/// Asserts that `msg` from the router ended the session with a protocol violation whose ABORT
/// message names `what`, and that JavaScript heard the same.
fn assert_violation(s: &SessionCore, out: &Output, what: &str) {
    assert!(out.close_transport, "the transport must close");
    assert_eq!(s.state(), State::Ended);
    let leave = s.leave_info().expect("a leave reason");
    assert_eq!(leave.reason, PROTOCOL_VIOLATION);
    assert!(leave.violation);
    assert!(
        leave.message.contains(what),
        "message {:?} should name {what:?}",
        leave.message
    );
    assert!(
        out.to_router
            .iter()
            .any(|m| m.starts_with("[3,") && m.contains(PROTOCOL_VIOLATION)),
        "an ABORT goes out: {:?}",
        out.to_router
    );
}

#[test]
fn welcome_with_session_id_outside_1_to_2_pow_53_aborts() {
    for bad in ["0", "9007199254740993", "-1", "1.5", "\"7\"", "null", "1e3"] {
        let mut out = Output::default();
        let mut s = SessionCore::start(1, "realm1", "{}", &mut out);
        out.clear();
        s.on_message(&format!("[2,{bad},{{}}]"), &mut out);
        assert!(
            !out.to_js.iter().any(|e| e.starts_with("[1000,")),
            "session id {bad} must not open the session"
        );
        assert_violation(&s, &out, "session id");
        assert!(s.leave_info().unwrap().message.contains("[1, 2^53]"));
    }
    // The bounds themselves are valid.
    for good in ["1", "9007199254740992"] {
        let mut out = Output::default();
        let mut s = SessionCore::start(1, "realm1", "{}", &mut out);
        s.on_message(&format!("[2,{good},{{}}]"), &mut out);
        assert!(s.is_established(), "session id {good}");
    }
}

/// Each reply with one id replaced by 0 or 2^53+1, after a request (and, where the reply needs
/// a live subscription or registration, its acknowledgement).
#[test]
fn ids_of_0_or_past_2_pow_53_in_replies_abort() {
    const BAD: [&str; 2] = ["0", "9007199254740993"];
    const SUBSCRIBE: &str = r#"[32,5,{},"t"]"#;
    const REGISTER: &str = r#"[64,5,{},"p"]"#;
    const CALL: &str = r#"[48,5,{},"p"]"#;
    // (command, the router's acknowledgement or "", the reply with `{}` for the bad id, what
    // the ABORT message names)
    let cases = [
        (SUBSCRIBE, "", "[33,1,{}]", "subscription id"),
        (SUBSCRIBE, "", "[33,{},7]", "request id"),
        (
            r#"[16,5,{"acknowledge":true},"t"]"#,
            "",
            "[17,1,{}]",
            "publication id",
        ),
        (REGISTER, "", "[65,1,{}]", "registration id"),
        (CALL, "", "[50,{},{}]", "request id"),
        (CALL, "", r#"[8,48,{},{},"wamp.error.x"]"#, "request id"),
        (REGISTER, "[65,1,1]", "[68,{},1,{}]", "request id"),
        (REGISTER, "[65,1,1]", "[69,{},{}]", "request id"),
        (SUBSCRIBE, "[33,1,1]", "[36,1,{},{}]", "publication id"),
    ];
    for (command, ack, reply, what) in cases {
        for bad in BAD {
            let (mut s, mut out) = established();
            s.on_command(command, &mut out).unwrap();
            if !ack.is_empty() {
                s.on_message(ack, &mut out);
            }
            out.clear();
            let msg = reply.replacen("{}", bad, 1);
            s.on_message(&msg, &mut out);
            assert_violation(&s, &out, what);
        }
    }
}

#[test]
fn event_on_subscription_id_0_or_a_string_aborts() {
    for (msg, what) in [
        ("[36,0,5,{}]", "subscription id"),
        (r#"[36,"1",5,{}]"#, "subscription id"),
        ("[36,9007199254740993,5,{}]", "subscription id"),
    ] {
        let (mut s, mut out) = established();
        s.on_command(r#"[32,5,{},"t"]"#, &mut out).unwrap();
        s.on_message("[33,1,1]", &mut out);
        out.clear();
        s.on_message(msg, &mut out);
        assert_violation(&s, &out, what);
    }
}

#[test]
fn revocation_naming_id_0_aborts() {
    let (mut s, mut out) = established();
    s.on_command(r#"[32,5,{},"t"]"#, &mut out).unwrap();
    s.on_message("[33,1,1]", &mut out);
    out.clear();
    s.on_message(r#"[35,0,{"subscription":0}]"#, &mut out);
    assert_violation(&s, &out, "Details.subscription");
}

#[test]
fn the_session_stays_open_at_id_2_pow_53() {
    let (mut s, mut out) = established();
    s.on_command(r#"[32,5,{},"t"]"#, &mut out).unwrap();
    s.on_message("[33,1,9007199254740992]", &mut out);
    s.on_message("[36,9007199254740992,9007199254740992,{}]", &mut out);
    assert!(!out.close_transport);
    assert_eq!(
        out.to_js,
        vec![
            "[33,5,9007199254740992]",
            "[36,9007199254740992,9007199254740992,{}]"
        ]
    );
}

#[test]
fn a_request_keeps_the_text_around_its_handle() {
    let text = r#"[48,77,{"x":"]"},"com.proc",["a\"b"],{"k":[1]}]"#;
    let p = Parts::parse_trusted(text).unwrap();
    assert_eq!(
        super::requests::rewrite_request(&p, 9007199254740992, text),
        r#"[48,9007199254740992,{"x":"]"},"com.proc",["a\"b"],{"k":[1]}]"#
    );
    // Parts of another text: written element by element.
    let copy = text.to_string();
    assert_eq!(
        super::requests::rewrite_request(&p, 5, &copy),
        r#"[48,5,{"x":"]"},"com.proc",["a\"b"],{"k":[1]}]"#
    );
}
