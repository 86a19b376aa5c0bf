package raftkv.server;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import raftkv.core.Command;
import raftkv.core.ForwardOutcome;

/**
 * The one Jackson {@link ObjectMapper} of a node, for the client API and the peer messages. The core
 * has no Jackson annotations (it has no dependencies at all), so the polymorphic {@link Command} is
 * described here with a mix-in: {@code {"type":"put","id":..,"name":..}}.
 */
public final class Json {

    /**
     * Jackson's buffers come from one bounded pool shared by all threads, not from a thread-local
     * one (Jackson's default): a node runs every request on a virtual thread of its own, and a
     * thread-local pool gave each of them its own 30 KiB of char buffers, kept for as long as the
     * request waited for its commit. With 3,000 requests waiting that was 200 MiB, and an
     * OutOfMemoryError in a 256 MiB heap. A parser or generator gives its buffers back when it is
     * closed, so parked requests hold none; at most this many sets are kept for reuse.
     */
    private static final int RECYCLED_BUFFER_SETS = 64;

    public static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
                    .recyclerPool(JsonRecyclerPools.newBoundedPool(RECYCLED_BUFFER_SETS))
                    .build())
            .addMixIn(Command.class, CommandMixin.class)
            .addMixIn(ForwardOutcome.class, ForwardOutcomeMixin.class)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Json() {}

    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
    @JsonSubTypes({
        @JsonSubTypes.Type(value = Command.Noop.class, name = "noop"),
        @JsonSubTypes.Type(value = Command.OpenSession.class, name = "open_session"),
        @JsonSubTypes.Type(value = Command.Put.class, name = "put"),
        @JsonSubTypes.Type(value = Command.Cas.class, name = "cas"),
        @JsonSubTypes.Type(value = Command.Delete.class, name = "delete"),
        @JsonSubTypes.Type(value = Command.Configuration.class, name = "configuration")
    })
    private interface CommandMixin {}

    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
    @JsonSubTypes({
        @JsonSubTypes.Type(value = ForwardOutcome.Appended.class, name = "appended"),
        @JsonSubTypes.Type(value = ForwardOutcome.Refused.class, name = "refused")
    })
    private interface ForwardOutcomeMixin {}
}
