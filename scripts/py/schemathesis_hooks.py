"""Hooks for scripts/schemathesis (docs/security.md, "The API against its contract").

The request's JSON Schema (openapi.json's AssessmentRequest) cannot state the rules across the fields
of an AI workload that RequestValidator.modelProblems checks: the model is given exactly one way
(parameters_billion, model or architecture), and an architecture is one a transformer can have
(kv_heads at most attention_heads and, without kv_latent_dim, dividing it; active parameters at most
the total). A body the generator drew that breaks one of them is not a valid request, so it is
dropped rather than sent as one: the server's 400 for it would be reported as a valid request
refused.
"""

import schemathesis


def number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def workload_is_valid(workload):
    if not isinstance(workload, dict):
        return True  # a shape problem: the schema says it, and the server must refuse it
    if sum(key in workload for key in ("parameters_billion", "model", "architecture")) != 1:
        return False
    architecture = workload.get("architecture")
    if not isinstance(architecture, dict):
        return True
    kv, heads = number(architecture.get("kv_heads")), number(architecture.get("attention_heads"))
    if kv > heads:
        return False
    if "kv_latent_dim" not in architecture and (kv == 0 or heads % kv != 0):
        return False
    total = number(architecture.get("total_parameters_billion"))
    return number(architecture.get("active_parameters_billion")) <= total


# filter_case rather than filter_body: the coverage phase builds its cases without the body hooks.
@schemathesis.hook("filter_case").apply_to(method="POST", path="/v1/assessments")
def filter_case(context, case):
    body = case.body
    technical = body.get("technical") if isinstance(body, dict) else None
    workloads = technical.get("ai_workloads") if isinstance(technical, dict) else None
    return not isinstance(workloads, list) or all(workload_is_valid(w) for w in workloads)
