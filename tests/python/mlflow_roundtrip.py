"""Checks spanlens feedback files with MLflow's own code (run by tests/it/feedback.rs).

usage: mlflow_roundtrip.py SIDECAR GOLDEN_MLFLOW_JSON GOLDEN_JSONL GOLDEN_CSV

- every sidecar line parses with mlflow.entities.Assessment.from_dictionary, and what
  MLflow reads back (name, trace and span ids, value, validity, overrides, times) is what
  the line says;
- the mlflow golden set goes through the data normalisation of mlflow.genai.evaluate
  (_convert_to_eval_set, then EvalItem.from_dataset_row per row, and the tag and inputs
  checks evaluate makes), with no tracking server and no LLM;
- the jsonl and csv golden sets load with pandas with input/output/expected columns.
Prints one summary line; any mismatch raises.
"""
import json
import sys

import pandas as pd
from mlflow.entities import Assessment, Expectation, Feedback
from mlflow.genai.evaluation.entities import EvalItem
from mlflow.genai.evaluation.utils import _convert_to_eval_set, validate_tags
from mlflow.utils.proto_json_utils import proto_timestamp_to_milliseconds

sidecar, golden_mlflow, golden_jsonl, golden_csv = sys.argv[1:5]

kinds = {"feedback": 0, "expectation": 0}
with open(sidecar, encoding="utf-8") as f:
    lines = [json.loads(l) for l in f if l.strip()]
for d in lines:
    a = Assessment.from_dictionary(d)
    assert a.name == d["assessment_name"], (a.name, d)
    assert a.trace_id == d["trace_id"], (a.trace_id, d)
    assert a.span_id == d.get("span_id"), (a.span_id, d)
    assert a.assessment_id == d["assessment_id"], d
    if "feedback" in d:
        # MLflow's Expectation has no `valid` / `overrides` (it deletes instead); spanlens
        # honours them on both kinds.
        assert a.valid == d.get("valid", True), d
        assert a.overrides == d.get("overrides"), d
    assert a.source.source_type == "HUMAN", a.source
    assert a.create_time_ms == proto_timestamp_to_milliseconds(d["create_time"]), d
    if "expectation" in d:
        assert isinstance(a, Expectation), a
        assert a.value == d["expectation"]["value"], (a.value, d)
        kinds["expectation"] += 1
    else:
        assert isinstance(a, Feedback), a
        assert a.value == d["feedback"]["value"], (a.value, d)
        kinds["feedback"] += 1
    # And MLflow writes it back with the same fields.
    back = a.to_dictionary()
    for key in ("assessment_id", "assessment_name", "trace_id", "create_time"):
        assert back[key] == d[key], (key, back[key], d[key])

with open(golden_mlflow, encoding="utf-8") as f:
    records = json.load(f)
df = _convert_to_eval_set(records)
assert len(df) == len(records), (len(df), len(records))
# evaluate() insists the first row's inputs are a dict when no trace column is given.
assert isinstance(df.iloc[0]["inputs"], dict), df.iloc[0]["inputs"]
items = [EvalItem.from_dataset_row(row) for row in df.to_dict(orient="records")]
for item, rec in zip(items, records):
    assert isinstance(item.inputs, dict) and item.inputs == rec["inputs"], item.inputs
    assert item.expectations == rec["expectations"], item.expectations
    assert "expected_response" in item.expectations, item.expectations
    validate_tags(item.tags)
    assert item.tags["source_trace_id"] and item.tags["source_span_id"], item.tags

for frame in (pd.read_json(golden_jsonl, lines=True), pd.read_csv(golden_csv)):
    for col in ("input", "output", "expected", "trace_id", "span_id"):
        assert col in frame.columns, (col, list(frame.columns))
    assert len(frame) == len(records), (len(frame), len(records))

print(
    f"mlflow round trip ok: {len(lines)} sidecar lines "
    f"({kinds['feedback']} feedback, {kinds['expectation']} expectation), "
    f"{len(items)} golden records"
)
