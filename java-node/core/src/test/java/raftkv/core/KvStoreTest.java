package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The Id => name state machine and client sessions (dissertation §6.3). */
class KvStoreTest {

    private final KvStore store = new KvStore();
    private long index;

    private Result apply(Command command) {
        return store.apply(new LogEntry(1, ++index, command, null));
    }

    private Result apply(Command command, String client, long seq) {
        return store.apply(new LogEntry(1, ++index, command, new Session(client, seq)));
    }

    @Test
    void putThenGet() {
        assertThat(apply(new Command.Put("1", "Ada"))).isEqualTo(new Result.Ok("Ada"));
        assertThat(store.get("1")).isEqualTo(new Result.Ok("Ada"));
        assertThat(store.get("2")).isEqualTo(new Result.NotFound());
    }

    @Test
    void compareAndSetSwapsOnlyOnMatch() {
        apply(new Command.Put("1", "Ada"));
        assertThat(apply(new Command.Cas("1", "Grace", "Barbara"))).isEqualTo(new Result.Mismatch("Ada"));
        assertThat(store.get("1")).isEqualTo(new Result.Ok("Ada"));
        assertThat(apply(new Command.Cas("1", "Ada", "Barbara"))).isEqualTo(new Result.Ok("Barbara"));
        assertThat(apply(new Command.Cas("9", "Ada", "Barbara"))).isEqualTo(new Result.NotFound());
        assertThat(store.get("9")).isEqualTo(new Result.NotFound());
    }

    @Test
    void deleteRemovesOrReportsAbsent() {
        apply(new Command.Put("1", "Ada"));
        assertThat(apply(new Command.Delete("1"))).isEqualTo(new Result.Ok("Ada"));
        assertThat(apply(new Command.Delete("1"))).isEqualTo(new Result.NotFound());
        assertThat(store.snapshot()).isEmpty();
    }

    @Test
    void noopChangesNothingButAdvancesLastApplied_8() {
        apply(new Command.Noop());
        assertThat(store.lastApplied()).isEqualTo(1);
        assertThat(store.snapshot()).isEmpty();
    }

    @Test
    void entriesMustBeAppliedInLogOrder_5_3() {
        apply(new Command.Noop());
        assertThatThrownBy(() -> store.apply(new LogEntry(1, 3, new Command.Noop(), null)))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void outOfOrderEntryIsRefusedNamingTheExpectedIndex_5_3() {
        apply(new Command.Noop());
        assertThatThrownBy(() -> store.apply(new LogEntry(1, 5, new Command.Noop(), null)))
                .hasMessageContaining("expected index 2, got 5");
    }

    @Test
    void newerCommandOfAKnownSessionApplies_6_3() {
        apply(new Command.Put("1", "Ada"), "c1", 1);
        assertThat(apply(new Command.Put("1", "Grace"), "c1", 2)).isEqualTo(new Result.Ok("Grace"));
        assertThat(store.get("1")).isEqualTo(new Result.Ok("Grace"));
        assertThat(store.size()).isEqualTo(1);
        assertThat(store.sessionCount()).isEqualTo(1);
    }

    @Test
    void duplicateCommandReturnsRecordedResultWithoutApplyingTwice_6_3() {
        apply(new Command.Put("1", "Ada"));
        Result first = apply(new Command.Cas("1", "Ada", "Grace"), "c1", 1);
        apply(new Command.Put("1", "Ada"), "c2", 1); // someone else resets the value
        Result retry = apply(new Command.Cas("1", "Ada", "Grace"), "c1", 1); // a retried copy is committed again
        assertThat(first).isEqualTo(new Result.Ok("Grace"));
        assertThat(retry).isEqualTo(first);
        assertThat(store.get("1")).as("the retry did not apply a second time").isEqualTo(new Result.Ok("Ada"));
    }

    @Test
    void commandOlderThanTheSessionsLatestIsRefused_6_3() {
        apply(new Command.Put("1", "Ada"), "c1", 2);
        assertThat(apply(new Command.Put("1", "Grace"), "c1", 1)).isEqualTo(new Result.StaleSession(2));
        assertThat(store.get("1")).isEqualTo(new Result.Ok("Ada"));
    }

    @Test
    void sessionsAreForgottenLeastRecentlyUsedFirst_6_3() {
        KvStore small = new KvStore(2);
        small.apply(new LogEntry(1, 1, new Command.Put("1", "a"), new Session("c1", 1)));
        small.apply(new LogEntry(1, 2, new Command.Put("1", "b"), new Session("c2", 1)));
        small.apply(new LogEntry(1, 3, new Command.Put("1", "c"), new Session("c3", 1)));
        assertThat(small.sessionCount()).isEqualTo(2);
        // c1 was evicted, so its duplicate applies again: the documented limit of a bounded table.
        small.apply(new LogEntry(1, 4, new Command.Put("1", "a"), new Session("c1", 1)));
        assertThat(small.get("1")).isEqualTo(new Result.Ok("a"));
    }

    @Test
    void sameEntriesGiveSameStateOnEveryNode_StateMachineSafety() {
        KvStore a = new KvStore();
        KvStore b = new KvStore();
        for (int i = 1; i <= 100; i++) {
            Command c = i % 3 == 0 ? new Command.Cas("k" + (i % 7), "v" + (i - 3), "v" + i)
                    : i % 5 == 0 ? new Command.Delete("k" + (i % 7)) : new Command.Put("k" + (i % 7), "v" + i);
            LogEntry e = new LogEntry(1, i, c, new Session("c" + (i % 4), i));
            assertThat(a.apply(e)).isEqualTo(b.apply(e));
        }
        assertThat(a.snapshot()).isEqualTo(b.snapshot()).isNotEmpty();
    }
}
