package raftkv.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import raftkv.server.Json;

/**
 * Jetty refuses some requests before any route sees them: a path with bad percent-encoding,
 * control characters or non-UTF-8 bytes, a URI or headers over Jetty's limits. Jetty would answer
 * those with an HTML page; this handler gives them the API's JSON error body instead, so a client
 * always learns, in one format, that nothing was attempted ({@code definite: true}).
 */
final class JsonErrorHandler extends ErrorHandler {

    static final String JSON = "application/json";

    /** Errors Jetty raises while handling a parsed request (e.g. an ambiguous or illegal path). */
    @Override
    protected void generateResponse(Request request, Response response, int status, String message,
            Throwable cause, Callback callback) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, JSON);
        response.write(true, ByteBuffer.wrap(body(status, message, request.getMethod())), callback);
    }

    /** Errors of the HTTP parser itself (URI too long, headers too large, a malformed request line). */
    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, JSON);
        return ByteBuffer.wrap(body(status, reason, null));
    }

    static ErrorCode codeFor(int status) {
        return switch (status) {
            case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
            case 414 -> ErrorCode.URI_TOO_LONG;
            case 431 -> ErrorCode.HEADERS_TOO_LARGE;
            case 404 -> ErrorCode.NO_ROUTE;
            case 405 -> ErrorCode.METHOD_NOT_ALLOWED;
            default -> status >= 500 ? ErrorCode.INTERNAL : ErrorCode.BAD_REQUEST;
        };
    }

    private static byte[] body(int status, String reason, String method) {
        String what = reason == null || reason.isBlank() ? "HTTP " + status : reason;
        String message = "the server refused this HTTP request before reading it: " + what
                + (method == null ? "" : " (" + method + ")");
        try {
            return Json.MAPPER.writeValueAsBytes(new ApiException(codeFor(status), message).body());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an error body of strings and a boolean always serializes", e);
        }
    }
}
