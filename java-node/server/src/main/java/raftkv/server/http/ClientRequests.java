package raftkv.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import raftkv.core.Session;
import raftkv.server.Json;

/**
 * Validation of everything a client sends. Each check fails with a 4xx {@link ApiException}, so
 * a client mistake never reaches the event loop and never becomes a 5xx.
 */
final class ClientRequests {

    static final int MAX_BODY_BYTES = 64 * 1024;
    static final int MAX_NAME_CHARS = 1024;
    static final int DEFAULT_PAGE_LIMIT = 1_000;
    static final int MAX_PAGE_LIMIT = 10_000;
    static final Pattern ID = Pattern.compile("[A-Za-z0-9_.-]{1,128}");
    static final String CLIENT_ID_HEADER = "X-Client-Id";
    static final String CLIENT_SEQ_HEADER = "X-Client-Seq";
    /** A session a follower lent to a sessionless write it forwards over HTTP ({@link ServerSessions}). */
    static final String LENT_ID_HEADER = "X-Raftkv-Lent-Client-Id";
    static final String LENT_SEQ_HEADER = "X-Raftkv-Lent-Client-Seq";
    private static final String BODY_ATTRIBUTE = "raftkv.body";

    private ClientRequests() {}

    /** Refuses an oversized body before reading it, when the client declared its length. */
    static void checkContentLength(Context ctx) {
        if (ctx.contentLength() > MAX_BODY_BYTES) {
            throw RequestBody.tooLarge(ctx, MAX_BODY_BYTES);
        }
    }

    /**
     * The body, read once (at most {@link #MAX_BODY_BYTES} + 1 bytes, chunked or not) and kept for
     * the {@link Forwarder}, which sends the same bytes on to the leader.
     */
    static byte[] body(Context ctx) {
        byte[] body = ctx.attribute(BODY_ATTRIBUTE);
        if (body == null) {
            body = RequestBody.readAtMost(ctx, MAX_BODY_BYTES);
            ctx.attribute(BODY_ATTRIBUTE, body);
        }
        return body;
    }

    /** Which page of the map a whole-map read asks for: ids after {@code after} ("" for the first). */
    record PageRequest(String after, int limit) {}

    /** {@code ?limit=N} (1 to {@link #MAX_PAGE_LIMIT}, default {@link #DEFAULT_PAGE_LIMIT}) and {@code ?after=ID}. */
    static PageRequest pageRequest(Context ctx) {
        String limitParam = ctx.queryParam("limit");
        int limit = DEFAULT_PAGE_LIMIT;
        if (limitParam != null) {
            try {
                limit = Integer.parseInt(limitParam);
            } catch (NumberFormatException e) {
                limit = 0;
            }
            if (limit < 1 || limit > MAX_PAGE_LIMIT) {
                throw new ApiException(ErrorCode.INVALID_QUERY, "limit must be an integer from 1 to " + MAX_PAGE_LIMIT);
            }
        }
        String after = ctx.queryParam("after");
        if (after != null && !ID.matcher(after).matches()) {
            throw new ApiException(ErrorCode.INVALID_QUERY, "after must be an id (the 'next' of the previous page)");
        }
        return new PageRequest(after == null ? "" : after, limit);
    }

    static String id(Context ctx) {
        String id = ctx.pathParam("id");
        if (!ID.matcher(id).matches()) {
            throw new ApiException(ErrorCode.INVALID_ID, "ids are 1-128 characters of A-Z a-z 0-9 _ . -");
        }
        return id;
    }

    /** The body as a JSON object holding exactly {@code fields}, each a string; returns them in order. */
    static String[] stringFields(Context ctx, String... fields) {
        Map<String, String> body = stringObject(ctx, List.of(fields), List.of(), "the body must be a JSON object");
        return Arrays.stream(fields).map(body::get).toArray(String[]::new);
    }

    /**
     * The optional string field {@code field} of a body that may be empty, {@code {}}, or an object
     * holding only that field; null when absent.
     */
    static String optionalStringField(Context ctx, String field) {
        return stringObject(ctx, List.of(), List.of(field), "the body must be a JSON object").get(field);
    }

    /** Refuses any body but none at all or an empty JSON object (for routes that take no input). */
    static void emptyBody(Context ctx) {
        stringObject(ctx, List.of(), List.of(), "send no body, or {}");
    }

    /**
     * The one path every JSON body goes through: a JSON object holding every {@code required} field,
     * perhaps the {@code optional} ones, and nothing else, each a string (a required one at most
     * {@link #MAX_NAME_CHARS} long). A route with no required field may also get no body at all.
     *
     * @param shape what the client is told when the body is not such an object (or, for a route that
     *     takes no field, when it holds one)
     * @return the fields present, by name
     */
    private static Map<String, String> stringObject(Context ctx, List<String> required, List<String> optional,
            String shape) {
        byte[] bytes = body(ctx);
        if (bytes.length == 0 && required.isEmpty()) {
            return Map.of();
        }
        JsonNode body = parseBody(bytes);
        if (body == null || !body.isObject()) {
            throw new ApiException(ErrorCode.INVALID_BODY, shape);
        }
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!required.contains(name) && !optional.contains(name)) {
                throw new ApiException(ErrorCode.INVALID_BODY,
                        required.isEmpty() && optional.isEmpty() ? shape : "unexpected field '" + name + "'");
            }
        }
        Map<String, String> values = new HashMap<>();
        for (String field : required) {
            String value = stringField(body, field);
            if (value == null) {
                throw new ApiException(ErrorCode.INVALID_BODY, "field '" + field + "' must be a string");
            }
            if (value.length() > MAX_NAME_CHARS) {
                throw new ApiException(ErrorCode.INVALID_NAME,
                        "'" + field + "' is longer than " + MAX_NAME_CHARS + " characters");
            }
            values.put(field, value);
        }
        for (String field : optional) {
            String value = stringField(body, field);
            if (value != null) {
                values.put(field, value);
            }
        }
        return values;
    }

    /** The field's text, null if it is absent; refuses any other JSON value. */
    private static String stringField(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value != null && !value.isTextual()) {
            throw new ApiException(ErrorCode.INVALID_BODY, "field '" + field + "' must be a string");
        }
        return value == null ? null : value.textValue();
    }

    /** The body as JSON (null if it holds none), refusing malformed bodies. */
    private static JsonNode parseBody(byte[] bytes) {
        try {
            return Json.MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new ApiException(ErrorCode.INVALID_BODY, "malformed JSON");
        }
    }

    /**
     * The client session from X-Client-Id / X-Client-Seq, or null if the client sent neither. The
     * id should be one that {@code POST /sessions} issued; an unknown id is refused by the state
     * machine ({@code session_expired}), not here.
     */
    static Session session(Context ctx) {
        return session(ctx, CLIENT_ID_HEADER, CLIENT_SEQ_HEADER);
    }

    /**
     * The session a follower lent to a sessionless write it forwarded here over HTTP
     * ({@link ServerSessions}), or null: with it, every copy of the write carries the same id.
     */
    static Session lentSession(Context ctx) {
        return session(ctx, LENT_ID_HEADER, LENT_SEQ_HEADER);
    }

    private static Session session(Context ctx, String idHeader, String seqHeader) {
        String clientId = ctx.header(idHeader);
        String sequence = ctx.header(seqHeader);
        if (clientId == null && sequence == null) {
            return null;
        }
        if (clientId == null || sequence == null) {
            throw new ApiException(ErrorCode.INVALID_SESSION, "send both " + idHeader + " and " + seqHeader
                    + ", or neither");
        }
        if (!ID.matcher(clientId).matches()) {
            throw new ApiException(ErrorCode.INVALID_SESSION, idHeader + " must be 1-128 characters of A-Z a-z 0-9 _ . -");
        }
        long seq;
        try {
            seq = Long.parseLong(sequence);
        } catch (NumberFormatException e) {
            seq = 0;
        }
        if (seq < 1) {
            throw new ApiException(ErrorCode.INVALID_SESSION, seqHeader + " must be an integer >= 1");
        }
        return new Session(clientId, seq);
    }
}
