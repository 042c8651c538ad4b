"""Gemini request validation, modelled on the live API's 400s.

validate_gemini(req, model) returns the (status, body) the live server
would send for an invalid generateContent request, or None.  Skipped with
--lenient.  Unknown field names, a responseSchema keyword that OpenAPI's
subset lacks, empty text, a thinking budget out of the model's range...
"""

from .answers import camel
from .gemini import bad_request, g_error

KNOWN_TOP = {"contents", "tools", "toolConfig", "safetySettings", "systemInstruction",
             "generationConfig", "cachedContent", "model"}
KNOWN_GEN = {"stopSequences", "responseMimeType", "responseSchema", "responseJsonSchema",
             "_responseJsonSchema", "responseModalities", "candidateCount", "maxOutputTokens",
             "temperature", "topP", "topK", "seed", "presencePenalty", "frequencyPenalty",
             "responseLogprobs", "logprobs", "enableEnhancedCivicAnswers", "speechConfig",
             "thinkingConfig", "imageConfig", "mediaResolution", "audioTimestamp"}
KNOWN_THINK = {"includeThoughts", "thinkingBudget", "thinkingLevel"}
KNOWN_OPENAPI = {"type", "format", "title", "description", "nullable", "enum", "maxItems",
                 "minItems", "properties", "required", "minProperties", "maxProperties",
                 "minLength", "maxLength", "pattern", "example", "anyOf", "propertyOrdering",
                 "default", "items", "minimum", "maximum"}


def unknown_name(name, where):
    at = " at '%s'" % where if where else ""
    return bad_request('Invalid JSON payload received. Unknown name "%s"%s: Cannot find field.'
                       % (name, at), where or None)


def check_openapi_schema(s, where):
    if not isinstance(s, dict):
        return None
    for k, v in s.items():
        ck = camel(k)
        if ck not in KNOWN_OPENAPI:
            return unknown_name(k, where)
        if ck == "type" and isinstance(v, list):
            return bad_request("Invalid JSON payload received. Proto field is not repeating, "
                               "cannot start list.", where + ".type")
        if ck == "properties" and isinstance(v, dict):
            for i, sub in enumerate(v.values()):
                e = check_openapi_schema(sub, "%s.properties[%d].value" % (where, i))
                if e:
                    return e
        elif ck == "items":
            e = check_openapi_schema(v, where + ".items")
            if e:
                return e
        elif ck == "anyOf" and isinstance(v, list):
            for i, sub in enumerate(v):
                e = check_openapi_schema(sub, "%s.any_of[%d]" % (where, i))
                if e:
                    return e
    return None


def thinking_range(model):
    if "2.5-pro" in model:
        return 128, 32768, False
    if "flash-lite" in model:
        return 512, 24576, True
    if "2.5-flash" in model:
        return 1, 24576, True
    return None


def validate_gemini(req, model):
    """Return (status, body) for an invalid request, else None."""
    for k in req:
        if camel(k) not in KNOWN_TOP:
            return unknown_name(k, "")
    contents = req.get("contents")
    if not isinstance(contents, list) or not contents:
        return bad_request("* GenerateContentRequest.contents: contents is not specified\n",
                           "contents")
    for c in contents:
        if not isinstance(c, dict):
            return bad_request("Invalid JSON payload received. Expected an object.", "contents")
        role = c.get("role")
        if role not in (None, "", "user", "model"):
            return 400, g_error(400, "INVALID_ARGUMENT", "Please use a valid role: user, model.")
        parts = c.get("parts")
        if not isinstance(parts, list) or not parts:
            return bad_request("* GenerateContentRequest.contents.parts: contents.parts must "
                               "not be empty.\n", "contents.parts")
        for p in parts:
            if isinstance(p, dict) and "text" in p and p["text"] == "":
                return 400, g_error(400, "INVALID_ARGUMENT",
                                    "Unable to submit request because it has an empty text "
                                    "parameter. Add a value to the parameter and try again. "
                                    "Learn more: https://cloud.google.com/vertex-ai/generative-"
                                    "ai/docs/multimodal/send-chat-prompts-gemini")
    gc = req.get("generationConfig", req.get("generation_config")) or {}
    if not isinstance(gc, dict):
        return bad_request("Invalid JSON payload received. Expected an object.",
                           "generation_config")
    for k in gc:
        if camel(k) not in KNOWN_GEN:
            return unknown_name(k, "generation_config")
    g = {camel(k): v for k, v in gc.items()}
    rs, rjs = g.get("responseSchema"), g.get("responseJsonSchema", g.get("_responseJsonSchema"))
    if rs is not None and rjs is not None:
        return 400, g_error(400, "INVALID_ARGUMENT",
                            "* GenerateContentRequest.generation_config: response_schema and "
                            "response_json_schema cannot both be set.\n")
    if (rs is not None or rjs is not None) and g.get("responseMimeType") not in (
            "application/json", "text/x.enum"):
        return 400, g_error(400, "INVALID_ARGUMENT",
                            "* GenerateContentRequest.generation_config.response_mime_type: "
                            "response_mime_type must be one of [application/json, text/x.enum] "
                            "when response_schema is set.\n")
    if rs is not None:
        e = check_openapi_schema(rs, "generation_config.response_schema")
        if e:
            return e
    temp = g.get("temperature")
    if temp is not None and (not isinstance(temp, (int, float)) or not 0 <= temp <= 2):
        return 400, g_error(400, "INVALID_ARGUMENT",
                            "* GenerateContentRequest.generation_config.temperature: "
                            "temperature must be in the range [0.0, 2.0]\n")
    mot = g.get("maxOutputTokens")
    if mot is not None and (not isinstance(mot, int) or isinstance(mot, bool) or mot < 1):
        return 400, g_error(400, "INVALID_ARGUMENT",
                            "* GenerateContentRequest.generation_config.max_output_tokens: "
                            "max_output_tokens must be positive.\n")
    tc = g.get("thinkingConfig")
    if isinstance(tc, dict):
        for k in tc:
            if camel(k) not in KNOWN_THINK:
                return unknown_name(k, "generation_config.thinking_config")
        tb = {camel(k): v for k, v in tc.items()}.get("thinkingBudget")
        rng = thinking_range(model)
        if isinstance(tb, int) and rng and tb != -1:
            lo, hi, zero_ok = rng
            if tb == 0 and not zero_ok:
                return 400, g_error(400, "INVALID_ARGUMENT",
                                    "Budget 0 is invalid. This model only works in thinking "
                                    "mode.")
            if not (tb == 0 and zero_ok) and not lo <= tb <= hi:
                return 400, g_error(400, "INVALID_ARGUMENT",
                                    "The thinking budget %d is invalid. Please choose a value "
                                    "between %d and %d." % (tb, lo, hi))
    return None

