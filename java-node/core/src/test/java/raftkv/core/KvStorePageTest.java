package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link KvStore#page}: the map read a page at a time, in id order, each entry exactly once. */
class KvStorePageTest {

    private final KvStore store = new KvStore();
    private long index;

    private void put(String id) {
        store.apply(new LogEntry(1, ++index, new Command.Put(id, id.toUpperCase()), null));
    }

    @Test
    void aWalkFromTheEmptyCursorVisitsEveryIdOnceInOrder() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            ids.add(String.format("k%03d", i));
        }
        ids.reversed().forEach(this::put);

        List<String> seen = new ArrayList<>();
        String after = "";
        int pages = 0;
        while (after != null) {
            KvStore.Page page = store.page(after, 10);
            assertThat(page.entries().size()).isLessThanOrEqualTo(10);
            page.entries().forEach(entry -> {
                assertThat(entry.getValue()).isEqualTo(entry.getKey().toUpperCase());
                seen.add(entry.getKey());
            });
            after = page.next();
            pages++;
        }

        assertThat(seen).isEqualTo(ids);
        assertThat(pages).isEqualTo(3);
    }

    @Test
    void thePageThatReachesTheEndHasNoNextCursor() {
        put("a");
        put("b");

        assertThat(store.page("", 2).next()).as("exactly full, and nothing after").isNull();
        assertThat(store.page("", 1).next()).isEqualTo("a");
        assertThat(store.page("a", 5).entries()).containsExactly(Map.entry("b", "B"));
        assertThat(store.page("b", 5).entries()).isEmpty();
        assertThat(new KvStore().page("", 5).next()).isNull();
    }

    @Test
    void aCursorNeedNotBeAnIdOfTheMap() {
        put("a");
        put("c");

        assertThat(store.page("b", 5).entries()).containsExactly(Map.entry("c", "C")); // "b" deleted meanwhile, say
    }

    @Test
    void aLimitBelowOneIsRefused() {
        assertThatThrownBy(() -> store.page("", 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
