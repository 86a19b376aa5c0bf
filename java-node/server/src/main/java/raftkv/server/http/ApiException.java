package raftkv.server.http;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Thrown by handlers to answer with an error body
 * {@code {"error": code, "message": text, "definite": bool, ...extra}}.
 */
public final class ApiException extends RuntimeException {

    private final ErrorCode code;
    private final Map<String, Object> extra;

    public ApiException(ErrorCode code, String message) {
        this(code, message, Map.of());
    }

    public ApiException(ErrorCode code, String message, Map<String, Object> extra) {
        super(message, null, false, false); // control flow, not a failure: no stack trace
        this.code = code;
        this.extra = extra;
    }

    public ErrorCode code() {
        return code;
    }

    public Map<String, Object> body() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", code.wireName());
        body.put("message", getMessage());
        body.put("definite", code.definite());
        body.putAll(extra);
        return body;
    }
}
