"""Every attribute, event and metric name this package emits, with units and buckets.

Names follow the OpenTelemetry GenAI semantic conventions (v1.41). They are
spelled out here rather than imported from ``opentelemetry.semconv._incubating``
because that module is private, changes between releases, and is not present in
every version we support; the tests check these values against the installed
semconv package so a rename cannot slip by.
"""

from __future__ import annotations

from typing import Final

# --- GenAI attributes -------------------------------------------------------
GEN_AI_OPERATION_NAME: Final = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME: Final = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL: Final = "gen_ai.request.model"
GEN_AI_REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
GEN_AI_REQUEST_MAX_TOKENS: Final = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_TOP_P: Final = "gen_ai.request.top_p"
GEN_AI_REQUEST_TOP_K: Final = "gen_ai.request.top_k"
GEN_AI_REQUEST_STOP_SEQUENCES: Final = "gen_ai.request.stop_sequences"
GEN_AI_REQUEST_SEED: Final = "gen_ai.request.seed"
GEN_AI_REQUEST_FREQUENCY_PENALTY: Final = "gen_ai.request.frequency_penalty"
GEN_AI_REQUEST_PRESENCE_PENALTY: Final = "gen_ai.request.presence_penalty"
GEN_AI_REQUEST_CHOICE_COUNT: Final = "gen_ai.request.choice.count"
GEN_AI_REQUEST_STREAM: Final = "gen_ai.request.stream"
GEN_AI_RESPONSE_MODEL: Final = "gen_ai.response.model"
GEN_AI_RESPONSE_ID: Final = "gen_ai.response.id"
GEN_AI_RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"
GEN_AI_USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: Final = "gen_ai.usage.cache_creation.input_tokens"
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: Final = "gen_ai.usage.reasoning.output_tokens"
GEN_AI_TOKEN_TYPE: Final = "gen_ai.token.type"
GEN_AI_TOOL_NAME: Final = "gen_ai.tool.name"
GEN_AI_TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
GEN_AI_TOOL_DESCRIPTION: Final = "gen_ai.tool.description"
GEN_AI_TOOL_TYPE: Final = "gen_ai.tool.type"
GEN_AI_TOOL_CALL_ARGUMENTS: Final = "gen_ai.tool.call.arguments"
GEN_AI_TOOL_CALL_RESULT: Final = "gen_ai.tool.call.result"
GEN_AI_AGENT_NAME: Final = "gen_ai.agent.name"
GEN_AI_CONVERSATION_ID: Final = "gen_ai.conversation.id"
GEN_AI_INPUT_MESSAGES: Final = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
GEN_AI_RETRIEVAL_QUERY_TEXT: Final = "gen_ai.retrieval.query.text"
GEN_AI_RETRIEVAL_DOCUMENTS: Final = "gen_ai.retrieval.documents"
ERROR_TYPE: Final = "error.type"
USER_ID: Final = "user.id"
GEN_AI_EVALUATION_NAME: Final = "gen_ai.evaluation.name"
GEN_AI_EVALUATION_SCORE_VALUE: Final = "gen_ai.evaluation.score.value"
GEN_AI_EVALUATION_SCORE_LABEL: Final = "gen_ai.evaluation.score.label"
GEN_AI_EVALUATION_EXPLANATION: Final = "gen_ai.evaluation.explanation"

# gen_ai.operation.name values
OP_CHAT: Final = "chat"
OP_TEXT_COMPLETION: Final = "text_completion"
OP_EXECUTE_TOOL: Final = "execute_tool"
OP_RETRIEVAL: Final = "retrieval"
OP_INVOKE_AGENT: Final = "invoke_agent"

TOKEN_TYPE_INPUT: Final = "input"
TOKEN_TYPE_OUTPUT: Final = "output"
# Token breakdown on gen_ai.client.token.usage, as proposed for the GenAI semconv
# (semantic-conventions-genai#96; in no release yet, so not named GEN_AI_* here):
# input points split by cache use, output points by reasoning, so that the points
# of one call still sum to its input and output counts.
TOKEN_CACHE: Final = "gen_ai.token.cache"
TOKEN_REASONING: Final = "gen_ai.token.reasoning"
TOKEN_CACHE_READ: Final = "read"
TOKEN_CACHE_CREATION: Final = "creation"
TOKEN_CACHE_UNCACHED: Final = "uncached"

# --- LangChain attributes ---------------------------------------------------
LANGCHAIN_RUN_ID: Final = "langchain.run.id"
LANGCHAIN_RUN_TYPE: Final = "langchain.run.type"
LANGCHAIN_RUN_NAME: Final = "langchain.run.name"
LANGCHAIN_RUN_TAGS: Final = "langchain.run.tags"
LANGCHAIN_METADATA_PREFIX: Final = "langchain.metadata."
LANGCHAIN_CHAIN_INPUTS: Final = "langchain.chain.inputs"
LANGCHAIN_CHAIN_OUTPUTS: Final = "langchain.chain.outputs"
LANGCHAIN_COST_USD: Final = "langchain.llm.cost_usd"
LANGCHAIN_COST_UNKNOWN: Final = "langchain.llm.cost_unknown"
LANGCHAIN_RUN_CANCELLED: Final = "langchain.run.cancelled"
LANGCHAIN_RUN_CONTROL_FLOW: Final = "langchain.run.control_flow"
LANGCHAIN_RETRIEVAL_DOCUMENT_COUNT: Final = "langchain.retrieval.documents.count"
# Usage recorded by a provider instrumentation's span under ours: ours moves here.
LANGCHAIN_USAGE_PREFIX: Final = "langchain.llm.usage."
LANGCHAIN_USAGE_RECORDED_BY: Final = "langchain.llm.usage.recorded_by"
# track_usage() budgets
LANGCHAIN_BUDGET_LIMIT: Final = "langchain.budget.limit"
LANGCHAIN_BUDGET_ACTION: Final = "langchain.budget.action"
LANGCHAIN_BUDGET_USD: Final = "langchain.budget.budget_usd"
LANGCHAIN_BUDGET_SPENT_USD: Final = "langchain.budget.spent_usd"
LANGCHAIN_BUDGET_MAX_TOKENS: Final = "langchain.budget.max_tokens"
LANGCHAIN_BUDGET_SPENT_TOKENS: Final = "langchain.budget.spent_tokens"
LANGCHAIN_BUDGET_UNPRICED_CALLS: Final = "langchain.budget.unpriced_calls"
LANGGRAPH_NODE: Final = "langgraph.node"
LANGGRAPH_STEP: Final = "langgraph.step"

# --- Links between runs, and usage rolled up over a run's subtree ------------
LANGCHAIN_LINK_TYPE: Final = "langchain.link.type"
LINK_TOOL_CALL: Final = "tool_call"  # execute_tool -> the chat span that asked for it
LINK_TOOL_RESULT: Final = "tool_result"  # chat -> the execute_tool spans whose results it read
LINK_FAN_IN: Final = "fan_in"  # graph node -> the parallel node runs of the step before
LINK_RESUME: Final = "resume"  # graph run -> the run that ended in the interrupt it resumes
LANGCHAIN_LLM_TOOL_CALL_IDS: Final = "langchain.llm.tool_call_ids"
LANGGRAPH_INTERRUPTED: Final = "langgraph.interrupted"
LANGGRAPH_RESUMED: Final = "langgraph.resumed"
LANGGRAPH_CHECKPOINT_ID: Final = "langgraph.checkpoint.id"
LANGCHAIN_USAGE_TOTAL_INPUT_TOKENS: Final = "langchain.usage.total.input_tokens"
LANGCHAIN_USAGE_TOTAL_OUTPUT_TOKENS: Final = "langchain.usage.total.output_tokens"
LANGCHAIN_USAGE_TOTAL_CACHE_READ_INPUT_TOKENS: Final = (
    "langchain.usage.total.cache_read.input_tokens"
)
LANGCHAIN_USAGE_TOTAL_CACHE_CREATION_INPUT_TOKENS: Final = (
    "langchain.usage.total.cache_creation.input_tokens"
)
LANGCHAIN_USAGE_TOTAL_REASONING_OUTPUT_TOKENS: Final = (
    "langchain.usage.total.reasoning.output_tokens"
)
LANGCHAIN_USAGE_TOTAL_CALLS: Final = "langchain.usage.total.calls"
LANGCHAIN_COST_TOTAL_USD: Final = "langchain.cost.total_usd"
LANGCHAIN_COST_TOTAL_UNPRICED_CALLS: Final = "langchain.cost.total_unpriced_calls"

# --- Events -----------------------------------------------------------------
EVENT_FIRST_CHUNK: Final = "gen_ai.first_chunk"
EVENT_RETRY: Final = "retry"
EVENT_AGENT_ACTION: Final = "gen_ai.agent.action"
EVENT_AGENT_FINISH: Final = "gen_ai.agent.finish"
EVENT_EXCEPTION: Final = "exception"
EXCEPTION_TYPE: Final = "exception.type"
EXCEPTION_MESSAGE: Final = "exception.message"
EXCEPTION_STACKTRACE: Final = "exception.stacktrace"
RETRY_ATTEMPT: Final = "retry.attempt"
EVENT_BUDGET_EXCEEDED: Final = "langchain.budget.exceeded"
EVENT_EVALUATION_RESULT: Final = "gen_ai.evaluation.result"

# --- Metrics ----------------------------------------------------------------
METRIC_TOKEN_USAGE: Final = "gen_ai.client.token.usage"
METRIC_OPERATION_DURATION: Final = "gen_ai.client.operation.duration"
METRIC_TIME_TO_FIRST_CHUNK: Final = "gen_ai.client.operation.time_to_first_chunk"
METRIC_LLM_COST: Final = "langchain.llm.cost"
METRIC_RUN_DURATION: Final = "langchain.run.duration"
METRIC_BUDGET_EXCEEDED: Final = "langchain.budget.exceeded"
METRIC_FEEDBACK_SCORE: Final = "langchain.feedback.score"

UNIT_TOKEN: Final = "{token}"
UNIT_SECONDS: Final = "s"
UNIT_USD: Final = "{USD}"
UNIT_CALL: Final = "{call}"
UNIT_SCORE: Final = "{score}"

# Explicit bucket boundaries advised by the GenAI semantic conventions.
DURATION_BUCKETS: Final = (
    0.01,
    0.02,
    0.04,
    0.08,
    0.16,
    0.32,
    0.64,
    1.28,
    2.56,
    5.12,
    10.24,
    20.48,
    40.96,
    81.92,
)
TOKEN_BUCKETS: Final = (
    1,
    4,
    16,
    64,
    256,
    1024,
    4096,
    16384,
    65536,
    262144,
    1048576,
    4194304,
    16777216,
    67108864,
)

# Feedback scores: thumbs (0/1), 0..1 ratings and 1..5 stars each land in their own bucket;
# negative scores all fall in the first. No negative boundary: Prometheus drops _sum/_count then.
FEEDBACK_BUCKETS: Final = (
    0,
    0.1,
    0.2,
    0.3,
    0.4,
    0.5,
    0.6,
    0.7,
    0.8,
    0.9,
    1,
    2,
    3,
    4,
    5,
    10,
)

# --- Provider names: LangChain's ``ls_provider`` -> semconv gen_ai.provider.name
PROVIDER_NAMES: Final[dict[str, str]] = {
    "openai": "openai",
    "azure": "azure.ai.openai",
    "azure_openai": "azure.ai.openai",
    "azureopenai": "azure.ai.openai",
    "azure_ai": "azure.ai.inference",
    "azure_ai_inference": "azure.ai.inference",
    "anthropic": "anthropic",
    "amazon_bedrock": "aws.bedrock",
    "bedrock": "aws.bedrock",
    "bedrock_converse": "aws.bedrock",
    "aws_bedrock": "aws.bedrock",
    "google_vertexai": "gcp.vertex_ai",
    "vertexai": "gcp.vertex_ai",
    "google_anthropic_vertex": "gcp.vertex_ai",
    "google_genai": "gcp.gen_ai",
    "google_gemini": "gcp.gemini",
    "google": "gcp.gen_ai",
    "mistral": "mistral_ai",
    "mistralai": "mistral_ai",
    "mistral_ai": "mistral_ai",
    "cohere": "cohere",
    "groq": "groq",
    "deepseek": "deepseek",
    "xai": "x_ai",
    "x_ai": "x_ai",
    "perplexity": "perplexity",
    "ibm": "ibm.watsonx.ai",
    "watsonx": "ibm.watsonx.ai",
}
