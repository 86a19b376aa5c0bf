package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import raftkv.server.Json;

/**
 * Whole-map reads come a page at a time ({@code GET /kv?limit=N&after=ID} and {@code /debug/kv}):
 * a walk that follows {@code next} sees every id once, in order; the page size has a cap.
 */
class PaginationTest extends OneNodeClusterTest {

    private static final int KEYS = 2_500;

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return Json.MAPPER.readTree(response.body());
    }

    private static String key(int i) {
        return String.format("k%05d", i);
    }

    /** Writes KEYS keys, 50 at a time (so their fsyncs are shared), in no particular order. */
    private void putKeys() throws Exception {
        try (ExecutorService clients = Executors.newFixedThreadPool(50, Thread.ofVirtual().factory())) {
            List<Future<Integer>> puts = new ArrayList<>();
            for (int i = KEYS - 1; i >= 0; i--) {
                String id = key(i);
                puts.add(clients.submit(() -> node.send("PUT", "/kv/" + id, "{\"name\":\"" + id + "\"}").statusCode()));
            }
            for (Future<Integer> put : puts) {
                assertThat(put.get()).isEqualTo(200);
            }
        }
    }

    /** Follows {@code next} from the first page; returns every id seen, in the order seen. */
    private List<String> walk(String path, int limit, List<Integer> pageSizes) throws Exception {
        List<String> ids = new ArrayList<>();
        String after = null;
        do {
            JsonNode page = json(node.send("GET", path + "?limit=" + limit + (after == null ? "" : "&after=" + after),
                    null));
            pageSizes.add(page.get("kv").size());
            for (Iterator<String> names = page.get("kv").fieldNames(); names.hasNext(); ) {
                String id = names.next();
                assertThat(page.get("kv").get(id).asText()).isEqualTo(id);
                ids.add(id);
            }
            after = page.get("next").isNull() ? null : page.get("next").asText();
        } while (after != null);
        return ids;
    }

    private static List<String> allKeys() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            keys.add(key(i));
        }
        return keys;
    }

    @Test
    void aCursorWalkReturnsEveryIdExactlyOnceInOrder() throws Exception {
        putKeys();

        List<Integer> pageSizes = new ArrayList<>();
        assertThat(walk("/kv", 1_000, pageSizes)).isEqualTo(allKeys());
        assertThat(pageSizes).containsExactly(1_000, 1_000, 500);

        List<Integer> localPageSizes = new ArrayList<>();
        assertThat(walk("/debug/kv", 1_000, localPageSizes)).isEqualTo(allKeys());
        assertThat(localPageSizes).containsExactly(1_000, 1_000, 500);
    }

    @Test
    void aPageHoldsTheDefaultThousandWithoutALimitAndNamesTheNextCursor() throws Exception {
        putKeys();

        JsonNode first = json(node.send("GET", "/kv", null));

        assertThat(first.get("kv").size()).isEqualTo(1_000);
        assertThat(first.get("next").asText()).isEqualTo(key(999));
        assertThat(json(node.send("GET", "/kv?limit=10000", null)).get("kv").size()).isEqualTo(KEYS);
    }

    @Test
    void debugKvPagesCarryTheirLastApplied() throws Exception {
        node.send("PUT", "/kv/a", "{\"name\":\"A\"}");
        node.send("PUT", "/kv/b", "{\"name\":\"B\"}");

        JsonNode first = json(node.send("GET", "/debug/kv?limit=1", null));
        JsonNode second = json(node.send("GET", "/debug/kv?limit=1&after=a", null));

        long applied = node.loop().status().lastApplied();
        assertThat(first.get("lastApplied").asLong()).isEqualTo(applied);
        assertThat(first.get("kv").toString()).isEqualTo("{\"a\":\"A\"}");
        assertThat(first.get("next").asText()).isEqualTo("a");
        assertThat(second.get("lastApplied").asLong()).isEqualTo(applied);
        assertThat(second.get("kv").toString()).isEqualTo("{\"b\":\"B\"}");
        assertThat(second.get("next").isNull()).isTrue();
    }

    @Test
    void aLimitOutsideOneToTenThousandOrACursorThatIsNotAnIdIs400() throws Exception {
        for (String query : List.of("limit=0", "limit=10001", "limit=-5", "limit=many", "limit=", "after=no%20id",
                "after=", "after=" + "a".repeat(129))) {
            for (String path : List.of("/kv?", "/debug/kv?")) {
                HttpResponse<String> refused = node.send("GET", path + query, null);
                assertThat(refused.statusCode()).as(path + query).isEqualTo(400);
                JsonNode body = Json.MAPPER.readTree(refused.body());
                assertThat(body.get("error").asText()).isEqualTo("invalid_query");
                assertThat(body.get("definite").asBoolean()).isTrue();
            }
        }
    }
}
