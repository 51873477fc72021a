//! Each kind's request shape and value, checked against the spec functions of assay-core.

use assay_core::spec::ensemble::{Aggregate, ensemble_aggregate};
use assay_core::spec::genrm::p_yes_reward;
use assay_core::spec::likelihood::{answer_logprob_reward, answer_prob_reward, follow_up_likelihood_reward};
use assay_core::stats::sigmoid;
use serde_json::{Value, json};

use crate::mock::{Mock, chat_text, echo_completions, token_logprob, tokenize, user_message};
use crate::util::{config_error, pipeline, samples, values};

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

/// The mock reward model's score of a text: its length in characters.
fn pooled(body: &Value) -> Value {
    let inputs = body["input"].as_array().unwrap();
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| json!({"index": i, "object": "pooling", "data": [input.as_str().unwrap().len() as f64]}))
        .collect();
    json!({"object": "list", "data": data})
}

#[test]
fn reward_model_batches_pooling_inputs_and_normalizes() {
    let mock = Mock::start(|path, body, _| match path {
        "/pooling" => (200, pooled(body)),
        _ => (404, json!({})),
    });
    let p = pipeline(
        "reward_model",
        &mock.url,
        "model = \"rm\"\nbatch_size = 2\nshift = 4.0\nscale = 2.0\nnormalize = \"sigmoid\"",
    );
    let batch = samples(&[
        json!({"prompt": "Q:", "completion": "ab"}),
        json!({"prompt": "Q:", "completion": "abcdef"}),
        json!({"prompt": "Q:", "completion": "x"}),
    ]);
    let scores = p.score(&batch);
    for (score, text) in scores.iter().zip(["Q:ab", "Q:abcdef", "Q:x"]) {
        let expected = sigmoid((text.len() as f64 - 4.0) / 2.0);
        assert!(close(score.reward, expected), "{score:?}");
        assert_eq!(score.diagnostics["m"]["raw"], json!(text.len() as f64));
    }
    // `/v1` is dropped for vLLM's root routes; three inputs in batches of two → two requests.
    let seen = mock.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s.path == "/pooling" && s.body["model"] == "rm"));
    let sizes: Vec<usize> = seen.iter().map(|s| s.body["input"].as_array().unwrap().len()).collect();
    assert_eq!(sizes.iter().sum::<usize>(), 3);
    assert!(sizes.contains(&2));
}

#[test]
fn reward_model_reads_classify_probs_and_chat_messages() {
    let mock = Mock::start(|path, body, _| {
        assert_eq!(path, "/classify");
        let messages = body["messages"].as_array().expect("chat input sends messages");
        let good = messages.last().unwrap()["content"] == "good";
        let p = if good { 0.9 } else { 0.2 };
        (
            200,
            json!({"data": [{"index": 0, "label": "x", "probs": [1.0 - p, p], "num_classes": 2}]}),
        )
    });
    let p = pipeline(
        "reward_model",
        &mock.url,
        "model = \"rm\"\napi = \"classify\"\nchat = true\noutput_index = 1",
    );
    let batch = samples(&[
        json!({"prompt": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}], "completion": "good"}),
        json!({"prompt": "q", "completion": "bad"}),
    ]);
    let scores = p.score(&batch);
    assert!(
        close(scores[0].reward, 0.9) && close(scores[1].reward, 0.2),
        "{scores:?}"
    );
    let seen = mock.seen();
    let first = seen
        .iter()
        .find(|s| s.body["messages"].as_array().unwrap().len() == 3)
        .unwrap();
    assert_eq!(
        first.body["messages"][2],
        json!({"role": "assistant", "content": "good"})
    );
}

#[test]
fn judge_scores_with_rubric_and_reference_and_malformed_answer_is_an_error_record() {
    let mock = Mock::start(|path, body, _| {
        assert_eq!(path, "/v1/chat/completions");
        let prompt = user_message(body);
        let text = if prompt.contains("ANSWER: 4") {
            "Correct and concise. Score: 9"
        } else if prompt.contains("ANSWER: 5") {
            "Wrong. Score: 2"
        } else {
            "I refuse to grade this."
        };
        (200, chat_text(text))
    });
    let p = pipeline(
        "judge",
        &mock.url,
        "model = \"judge\"\nrubric = \"be strict\"\nscore_range = [0, 10]\nsystem = \"You grade.\"\n\
         template = \"{rubric}|{prompt}|ref={reference}|ANSWER: {completion}\"",
    );
    let batch = samples(&[
        json!({"prompt": "2+2?", "completion": "4", "reference": "4"}),
        json!({"prompt": "2+2?", "completion": "5", "reference": "4"}),
        json!({"prompt": "2+2?", "completion": "???", "reference": "4"}),
    ]);
    let scores = p.score(&batch);
    assert!(
        close(scores[0].reward, 0.9) && close(scores[1].reward, 0.2),
        "{scores:?}"
    );
    assert_eq!(
        scores[2].reward, None,
        "a malformed judge answer must not become a score"
    );
    let error = scores[2].error.as_deref().unwrap();
    assert!(error.contains("no score matching"), "{error}");
    let seen = mock.seen();
    let request = &seen
        .iter()
        .find(|s| user_message(&s.body).contains("ANSWER: 4"))
        .unwrap()
        .body;
    assert_eq!(request["model"], "judge");
    assert_eq!(
        request["messages"][0],
        json!({"role": "system", "content": "You grade."})
    );
    assert_eq!(user_message(request), "be strict|2+2?|ref=4|ANSWER: 4");
    assert_eq!(request["temperature"], json!(0.0));
}

#[test]
fn judge_verdicts_follow_rm_r1_and_position() {
    let mock = Mock::start(|_, body, _| {
        let prompt = user_message(body);
        // The judge prefers whichever response says "42"; position A is the completion by default.
        let a_is_42 = prompt.split("[Response B]").next().unwrap().contains("42");
        let verdict = if prompt.contains("confuse") {
            "<answer>[[A]] [[B]]</answer>"
        } else if a_is_42 {
            "<rubric>r</rubric><eval>e</eval><answer>[[A]]</answer>"
        } else {
            "<rubric>r</rubric><eval>A says [[A]]?</eval><answer>[[B]]</answer>"
        };
        (200, chat_text(verdict))
    });
    let p = pipeline("judge", &mock.url, "model = \"j\"\nformat = \"verdict\"");
    let batch = samples(&[
        json!({"prompt": "q", "completion": "42", "reference": "41"}),
        json!({"prompt": "q", "completion": "41", "reference": "42"}),
        json!({"prompt": "confuse", "completion": "41", "reference": "42"}),
    ]);
    let scores = p.score(&batch);
    assert_eq!(values(&scores)[..2], [Some(1.0), Some(0.0)]);
    assert!(scores[2].error.as_deref().unwrap().contains("both [[A]] and [[B]]"));
    assert!(user_message(&mock.seen()[0].body).contains("<answer>[[A]]</answer>"));
}

#[test]
fn p_yes_renormalizes_summed_variants_over_yes_and_no() {
    let top = json!([
        {"token": "Yes", "logprob": -0.4},
        {"token": " yes", "logprob": -2.0},
        {"token": "No", "logprob": -1.5},
        {"token": "Maybe", "logprob": -3.0}
    ]);
    let answer = json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": "Yes"},
        "logprobs": {"content": [{"token": "Yes", "logprob": -0.4, "top_logprobs": top}]}}]});
    let mock = Mock::start(move |path, body, _| {
        assert_eq!(path, "/v1/chat/completions");
        if user_message(body).contains("nothing") {
            let empty = json!({"choices": [{"index": 0, "logprobs": {"content": [{"token": "Hm",
                "logprob": -0.1, "top_logprobs": [{"token": "Hm", "logprob": -0.1}]}]}}]});
            return (200, empty);
        }
        (200, answer.clone())
    });
    let p = pipeline("p_yes", &mock.url, "model = \"m\"\ntop_logprobs = 5");
    let scores = p.score(&samples(&[
        json!({"prompt": "q", "completion": "a"}),
        json!({"prompt": "q", "completion": "nothing"}),
    ]));
    let p_yes = (-0.4f64).exp() + (-2.0f64).exp();
    let p_no = (-1.5f64).exp();
    let expected = p_yes_reward(p_yes.ln(), p_no.ln()).unwrap();
    assert!(close(scores[0].reward, expected), "{scores:?}");
    assert!((expected - p_yes / (p_yes + p_no)).abs() < 1e-12);
    assert!(scores[1].error.as_deref().unwrap().contains("neither a yes nor a no"));
    let request = &mock.seen()[0].body;
    assert_eq!(request["logprobs"], json!(true));
    assert_eq!(request["top_logprobs"], json!(5));
    assert_eq!(request["max_tokens"], json!(1));
}

#[test]
fn p_yes_over_legacy_completions_with_exact_token_lists() {
    let mock = Mock::start(|path, body, _| {
        assert_eq!(path, "/v1/completions");
        let prompts = body["prompt"].as_array().unwrap();
        let choices: Vec<Value> = (0..prompts.len())
            .map(|i| {
                json!({"index": i, "text": " yes", "logprobs": {"tokens": [" yes"], "token_logprobs": [-0.2],
                "top_logprobs": [{" yes": -0.2, " Yes": -1.0, " no": -2.5}]}})
            })
            .collect();
        (200, json!({"choices": choices}))
    });
    let p = pipeline(
        "p_yes",
        &mock.url,
        "model = \"m\"\napi = \"completions\"\nyes_tokens = [\" yes\"]\nno_tokens = [\" no\"]",
    );
    let scores = p.score(&samples(&[json!({"prompt": "q", "completion": "a"})]));
    assert!(close(scores[0].reward, p_yes_reward(-0.2, -2.5).unwrap()), "{scores:?}");
    assert_eq!(mock.seen()[0].body["logprobs"], json!(20));
}

#[test]
fn likelihood_scores_the_reference_tokens_with_the_spec_formulas() {
    let mock = Mock::start(|path, body, _| {
        assert_eq!(path, "/v1/completions");
        assert_eq!(body["echo"], json!(true));
        assert_eq!(body["max_tokens"], json!(1));
        (200, echo_completions(body))
    });
    let batch = samples(&[
        json!({"prompt": "Q: 6*7?", "completion": " thinking hard", "reference": " 42 exactly"}),
        json!({"prompt": "Q: 6*7?", "completion": " no idea", "reference": " 42"}),
    ]);
    let reference_logprobs =
        |reference: &str| -> Vec<f64> { tokenize(reference).iter().map(|t| token_logprob(t)).collect() };
    for (keys, formula) in [
        (
            "",
            (|l: &[f64]| answer_logprob_reward(l, true).unwrap()) as fn(&[f64]) -> f64,
        ),
        ("normalize = false", |l| answer_logprob_reward(l, false).unwrap()),
        ("reward = \"prob\"", |l| answer_prob_reward(l, true).unwrap()),
    ] {
        let p = pipeline("likelihood", &mock.url, &format!("model = \"policy\"\n{keys}"));
        let scores = p.score(&batch);
        for (score, reference) in scores.iter().zip([" 42 exactly", " 42"]) {
            let expected = formula(&reference_logprobs(reference));
            assert!(close(score.reward, expected), "{keys}: {score:?} vs {expected}");
        }
    }
    assert_eq!(mock.seen()[0].body["prompt"][0], "Q: 6*7? thinking hard 42 exactly");
}

#[test]
fn likelihood_replaces_the_answer_after_the_delimiter_and_floors_truncated_thoughts() {
    let mock = Mock::start(|_, body, _| (200, echo_completions(body)));
    let batch = samples(&[
        json!({"prompt": "Q:", "completion": " think </think> 41", "reference": " 42"}),
        json!({"prompt": "Q:", "completion": " think and think", "reference": " 42"}),
    ]);
    let keys = "model = \"policy\"\nanswer_delimiter = \"</think>\"";
    let floored = pipeline("likelihood", &mock.url, &format!("{keys}\ntruncated_reward = -10.0")).score(&batch);
    assert_eq!(mock.seen().len(), 1);
    assert_eq!(mock.seen()[0].body["prompt"], json!(["Q: think </think> 42"]));
    let expected = answer_logprob_reward(&[token_logprob(" 42")], true).unwrap();
    assert!(close(floored[0].reward, expected), "{floored:?}");
    assert_eq!(floored[1].reward, Some(-10.0));
    assert_eq!(floored[1].diagnostics["m"]["truncated"], json!(true));

    let strict = pipeline("likelihood", &mock.url, keys).score(&batch);
    assert!(strict[0].error.is_none(), "{strict:?}");
    let error = strict[1].error.as_deref().unwrap_or_default();
    assert!(error.contains("no answer delimiter `</think>`"), "{error}");
    assert!(
        config_error("likelihood", &mock.url, "model = \"m\"\ntruncated_reward = 0.0").contains("answer_delimiter")
    );
}

#[test]
fn follow_up_likelihood_is_the_difference_of_mean_logprobs() {
    let mock = Mock::start(|_, body, _| (200, echo_completions(body)));
    let p = pipeline(
        "likelihood",
        &mock.url,
        "model = \"lm\"\npositive = [\"Thanks, 42 helps!\"]\nnegative = [\"That is wrong.\", \"Huh?\"]\n\
         continuation = \" User: {follow_up}\"",
    );
    let scores = p.score(&samples(&[json!({"prompt": "Q", "completion": " A"})]));
    let mean = |follow_up: &str| {
        let l: Vec<f64> = tokenize(&format!(" User: {follow_up}"))
            .iter()
            .map(|t| token_logprob(t))
            .collect();
        answer_logprob_reward(&l, true).unwrap()
    };
    let expected =
        follow_up_likelihood_reward(&[mean("Thanks, 42 helps!")], &[mean("That is wrong."), mean("Huh?")]).unwrap();
    assert!(close(scores[0].reward, expected), "{scores:?} vs {expected}");
    // Three follow-ups, one batch.
    assert_eq!(mock.seen().len(), 1);
    assert_eq!(mock.seen()[0].body["prompt"].as_array().unwrap().len(), 3);
}

#[test]
fn model_ensemble_aggregates_members_and_fails_with_a_member() {
    let mock = Mock::start(|path, body, _| match path {
        "/pooling" => (200, pooled(body)),
        "/v1/chat/completions" if user_message(body).contains("broken") => (200, chat_text("no score here")),
        _ => (200, chat_text("Score: 3")),
    });
    let keys = format!(
        "method = \"mean_minus_std\"\nlambda = 0.5\n\
         [[reward.members]]\nname = \"rm\"\nkind = \"reward_model\"\nendpoint = \"{0}\"\nmodel = \"a\"\n\
         [[reward.members]]\nname = \"judge\"\nkind = \"judge\"\nendpoint = \"{0}\"\nmodel = \"b\"\n\
         template = \"{{completion}}\"",
        mock.url
    );
    let text = format!("name = \"t\"\n[[reward]]\nname = \"ens\"\nkind = \"model_ensemble\"\n{keys}\n");
    let p = assay_core::Pipeline::from_toml(&text, std::path::Path::new("e.toml"), &crate::util::registry()).unwrap();
    let scores = p.score(&samples(&[
        json!({"prompt": "", "completion": "abcdefg"}),
        json!({"prompt": "", "completion": "broken"}),
    ]));
    let expected = ensemble_aggregate(&[7.0, 3.0], Aggregate::MeanMinusStd, 0.5, 0).unwrap();
    assert!(close(scores[0].reward, expected), "{scores:?}");
    assert_eq!(
        scores[0].diagnostics["ens"]["members"],
        json!({"rm": 7.0, "judge": 3.0})
    );
    assert!(scores[1].error.as_deref().unwrap().contains("ensemble member `judge`"));
}

#[test]
fn configuration_errors_name_the_key() {
    let url = "http://127.0.0.1:9/v1";
    assert!(config_error("judge", url, "model = \"m\"\ntemplate = \"{answer}\"").contains("key `template`"));
    assert!(config_error("judge", url, "model = \"m\"\nrubrik = \"x\"").contains("key `rubrik`"));
    assert!(config_error("p_yes", "localhost:8000", "model = \"m\"").contains("key `endpoint`"));
    assert!(config_error("likelihood", url, "model = \"m\"\npositive = [\"a\"]").contains("key `negative`"));
    let err = config_error("model_ensemble", url, "[[reward.members]]\nkind = \"tags\"");
    assert!(err.contains("members[0].kind"), "{err}");
    let err = config_error(
        "reward_model",
        url,
        "model = \"m\"\napi_key_env = \"ASSAY_TEST_SURELY_UNSET_VAR\"",
    );
    assert!(
        err.contains("key `api_key_env`") && err.contains("ASSAY_TEST_SURELY_UNSET_VAR"),
        "{err}"
    );
}
