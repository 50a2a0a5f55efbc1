/// The request contract (schema/assessment-request.schema.json) as data: field names, types, ranges,
/// which fields are required, and every default. Defaults live here and only here.
package enum RequestShape {
    static func names<E: CaseIterable & RawRepresentable>(_: E.Type) -> [String] where E.RawValue == String {
        E.allCases.map(\.rawValue)
    }

    static func enumArray<E: CaseIterable & RawRepresentable>(_ type: E.Type) -> Shape where E.RawValue == String {
        .array(items: .enumeration(names(type)), minItems: 0, maxItems: E.allCases.count, uniqueItems: true)
    }

    static let users = Shape.integer(minimum: 0, maximum: 10_000_000_000)

    static let business = Shape.object([
        .init("company_name", .string(minLength: 1, maxLength: 200), "Shown in the report; optional."),
        .init(
            "company_size", .enumeration(names(CompanySize.self)), required: true,
            "Scales risk appetite and which regulations are implied."),
        .init(
            "industry", .enumeration(names(Industry.self)), required: true,
            "Drives implied regulations and AI use cases."),
        .init(
            "geographic_regions", enumArray(Market.self), default: .strings(["us"]),
            "Markets served; the cloud region is chosen to serve the first one."),
        .init(
            "compliance_requirements", enumArray(ComplianceFramework.self), default: .strings([]),
            "Frameworks required explicitly; others may be implied by industry and markets."),
        .init(
            "budget_constraints",
            .object([
                .init(
                    "monthly_budget_limit", .number(minimum: 0, maximum: 1_000_000_000),
                    "USD per month; when absent no budget check is made.")
            ]), "Budget limits."),
        .init(
            "growth_projection",
            .object([
                .init("current_users", users, default: .int(1000), "Users today."),
                .init("projected_users_12m", users, "Users in 12 months; absent means no growth."),
                .init("projected_users_24m", users, "Users in 24 months; absent means the 12-month figure holds."),
            ]), "User growth, which drives the cost projection."),
        .init(
            "cloud_provider_preference", .enumeration(names(ProviderPreference.self)),
            default: .string("no_preference"), "Honoured when the provider can host the plan."),
        .init(
            "project_timeline_months", .integer(minimum: 1, maximum: 36), default: .int(12),
            "Months until production; paces the roadmap."),
        .init(
            "processes_card_payments", .boolean,
            "Whether cardholder data is handled (PCI DSS); absent means assumed for retail and finance."),
        .init(
            "expected_annual_ai_value_usd", .number(minimum: 0, maximum: 1_000_000_000_000),
            "Expected yearly value of the AI opportunities; enables payback and ROI figures."),
    ])

    static let modelArchitecture = Shape.object([
        .init(
            "layers", .integer(minimum: 1, maximum: 1_000), required: true, "Transformer layers (num_hidden_layers)."),
        .init("hidden_size", .integer(minimum: 1, maximum: 1_000_000), required: true, "Model width (hidden_size)."),
        .init(
            "attention_heads", .integer(minimum: 1, maximum: 10_000), required: true,
            "Query heads per layer (num_attention_heads)."),
        .init(
            "kv_heads", .integer(minimum: 1, maximum: 10_000), required: true,
            "Key/value heads per layer (num_key_value_heads; equal to attention_heads without grouped-query attention)."
        ),
        .init("head_dim", .integer(minimum: 1, maximum: 10_000), required: true, "Dimension of one attention head."),
        .init(
            "total_parameters_billion", .number(minimum: 0.001, maximum: 100_000), required: true,
            "All parameters, every expert included: what GPU memory holds."),
        .init(
            "active_parameters_billion", .number(minimum: 0.001, maximum: 100_000), required: true,
            "Parameters one token passes through (equal to the total for a dense model): what compute scales with."),
        .init(
            "kv_latent_dim", .integer(minimum: 1, maximum: 1_000_000),
            "Multi-head latent attention only: the per-layer cached vector (kv_lora_rank + qk_rope_head_dim)."),
    ])

    static let aiWorkload = Shape.object([
        .init("name", .string(minLength: 1, maxLength: 100), required: true, "A label for the model or job."),
        .init(
            "parameters_billion", .number(minimum: 0.001, maximum: 100_000),
            "Model size in billions of parameters, when neither model nor architecture is given: the KV cache is then estimated from it (see docs/sizing.md)."
        ),
        .init(
            "model", .enumeration(ModelTable.ids),
            "A published model from the shipped table (models.csv): its real architecture sizes the KV cache and the compute. Give exactly one of parameters_billion, model or architecture."
        ),
        .init(
            "architecture", modelArchitecture,
            "The model's shape as its config.json gives it, for a model not in the table."),
        .init("precision", .enumeration(names(Precision.self)), default: .string("bf16"), "Weight precision."),
        .init("mode", .enumeration(names(AIWorkloadMode.self)), default: .string("inference"), "What the GPUs do."),
        .init(
            "requests_per_second", .number(minimum: 0, maximum: 10_000_000), default: .int(1),
            "Inference requests per second at peak."),
        .init(
            "avg_output_tokens", .integer(minimum: 1, maximum: 1_000_000), default: .int(256),
            "Tokens generated per request."),
        .init(
            "context_tokens", .integer(minimum: 1, maximum: 10_000_000), default: .int(4096),
            "Context window held in the KV cache per sequence (inference) or sequence length (training)."),
        .init(
            "training_tokens_billion", .number(minimum: 0, maximum: 1_000_000),
            "Tokens per training or fine-tuning run, in billions; reported as 6·N·D FLOPs."),
        .init(
            "fine_tuning_method", .enumeration(names(FineTuningMethod.self)), default: .string("lora"),
            "For mode fine_tuning: lora keeps base weights frozen, full updates every weight."),
        .init(
            "time_to_first_token_ms", .number(minimum: 1, maximum: 600_000),
            "Inference: target time from request to first generated token. With this or time_per_output_token_ms the model is held to its own targets instead of api_response_time_ms."
        ),
        .init(
            "time_per_output_token_ms", .number(minimum: 0.1, maximum: 60_000),
            "Inference: target time between generated tokens while streaming."),
    ])

    static let security = Shape.object(
        SecurityRequirements.allMeasures.map {
            .init($0, .boolean, default: .bool(false), "Absent means the measure is not committed to.")
        })

    static let technical = Shape.object([
        .init(
            "workload_types",
            .array(
                items: .enumeration(names(WorkloadType.self)), minItems: 1, maxItems: WorkloadType.allCases.count,
                uniqueItems: true), required: true, "What the platform runs; at least one."),
        .init(
            "ai_use_cases",
            .array(items: .string(minLength: 1, maxLength: 200), minItems: 0, maxItems: 50, uniqueItems: true),
            default: .strings([]), "Free-text use cases, matched against the use-case table."),
        .init(
            "current_ai_maturity", .enumeration(names(AIMaturity.self)), default: .string("none"),
            "How far the team is with ML in production."),
        .init(
            "ai_workloads", .array(items: aiWorkload, minItems: 0, maxItems: 50, uniqueItems: false),
            default: .array([]), "Models to serve, train or fine-tune."),
        .init(
            "performance_requirements",
            .object([
                .init(
                    "requests_per_second", .number(minimum: 0, maximum: 10_000_000), default: .int(10),
                    "Peak requests per second across the non-AI services."),
                .init(
                    "api_response_time_ms", .integer(minimum: 1, maximum: 600_000), default: .int(500),
                    "Target response time of the services; an AI model without its own time_to_first_token_ms or time_per_output_token_ms is held to it for its whole answer (first token and every output token)."
                ),
                .init("concurrent_users", users, default: .int(100), "Users active at the same time at peak."),
                .init(
                    "uptime_percentage", .number(minimum: 90, maximum: 99.999), default: .double(99.5),
                    "Availability target; 99.9 or more adds a spare (N+1) replica."),
            ]), "Load and availability targets."),
        .init(
            "scalability_requirements",
            .object([
                .init(
                    "current_data_size_gb", .number(minimum: 0, maximum: 1_000_000_000), default: .int(100),
                    "Data stored today, in GB."),
                .init(
                    "monthly_data_growth_percentage", .number(minimum: 0, maximum: 1000), default: .int(5),
                    "Compound monthly growth of the stored data."),
                .init(
                    "planned_regions", .integer(minimum: 1, maximum: 20), default: .int(1),
                    "Regions the service will run in; each adds a full copy of the plan."),
            ]), "Data volume and footprint."),
        .init("security_requirements", security, "Security measures the team commits to."),
        .init(
            "deployment_model", .enumeration(names(DeploymentModel.self)), default: .string("no_preference"),
            "How workloads are packaged."),
    ])

    /// The whole request.
    package static let request = Shape.object([
        .init("title", .string(minLength: 1, maxLength: 200), default: .string("Untitled assessment"), "Report title."),
        .init("business", business, required: true, "Who the company is and what it must comply with."),
        .init("technical", technical, required: true, "What it runs."),
    ])
}
