package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The state quota: a put or compare-and-set that would grow the map beyond it is refused with a
 * definite result and changes nothing; writes that do not grow it (deletes, shorter names) always
 * apply; the decision comes from the log alone, so every replica, and every replica restored from a
 * snapshot, decides alike.
 */
class StateQuotaTest {

    private static final long ENTRY = StateQuota.entryBytes("k1", "12345678"); // 2 + 8 + 128

    private KvStore store;
    private long index;

    private Result apply(Command command) {
        return store.apply(new LogEntry(1, ++index, command, null));
    }

    private Result apply(Command command, String clientId, long sequence) {
        return store.apply(new LogEntry(1, ++index, command, new Session(clientId, sequence)));
    }

    @Test
    void entryBytesAreTheUtf8LengthsPlusTheMeasuredOverhead() {
        for (String name : List.of("", "Ada", "Zoë", "名前", "🙂x", "x".repeat(200))) {
            assertThat(StateQuota.entryBytes("id", name)).as(name).isEqualTo(
                    2 + name.getBytes(StandardCharsets.UTF_8).length + StateQuota.ENTRY_OVERHEAD_BYTES);
        }
    }

    @Test
    void theDefaultQuotaAt512MiBAdmitsBothDataSetsOfTheBigStateBenchmark() {
        StateQuota quota = StateQuota.halfOfHeap(512L << 20);
        // ids as make bench-bigstate writes them: "t<thread>-<counter>", at most 11 characters here
        assertThat(1_000_000 * StateQuota.entryBytes("t31-9999999", "x".repeat(100))).isLessThanOrEqualTo(quota.maxBytes());
        assertThat(400_000 * StateQuota.entryBytes("t31-9999999", "x".repeat(200))).isLessThanOrEqualTo(quota.maxBytes());
    }

    @Test
    void aPutOverTheQuotaIsRefusedAndChangesNothing() {
        store = new KvStore(SessionLimits.DEFAULT, new StateQuota(2 * ENTRY));
        assertThat(apply(new Command.Put("k1", "12345678"))).isEqualTo(new Result.Ok("12345678"));
        assertThat(apply(new Command.Put("k2", "12345678"))).isEqualTo(new Result.Ok("12345678"));
        assertThat(store.stateBytes()).isEqualTo(2 * ENTRY);
        byte[] before = store.snapshotBytes();

        assertThat(apply(new Command.Put("k3", "x"))).isEqualTo(new Result.QuotaExceeded(2 * ENTRY, 2 * ENTRY));
        assertThat(apply(new Command.Put("k1", "123456789"))).isEqualTo(new Result.QuotaExceeded(2 * ENTRY, 2 * ENTRY));
        assertThat(apply(new Command.Cas("k2", "12345678", "123456789")))
                .isEqualTo(new Result.QuotaExceeded(2 * ENTRY, 2 * ENTRY));

        assertThat(store.get("k3")).isEqualTo(new Result.NotFound());
        assertThat(store.get("k1")).isEqualTo(new Result.Ok("12345678"));
        assertThat(store.stateBytes()).isEqualTo(2 * ENTRY);
        // Nothing but lastApplied differs from before the refused writes.
        assertThat(withoutLastApplied(store.snapshotBytes())).isEqualTo(withoutLastApplied(before));
    }

    @Test
    void writesThatDoNotGrowTheStateApplyAtTheQuota() {
        store = new KvStore(SessionLimits.DEFAULT, new StateQuota(2 * ENTRY));
        apply(new Command.Put("k1", "12345678"));
        apply(new Command.Put("k2", "12345678"));
        assertThat(apply(new Command.Put("k1", "abcdefgh"))).isEqualTo(new Result.Ok("abcdefgh"));
        assertThat(apply(new Command.Cas("k2", "12345678", "short"))).isEqualTo(new Result.Ok("short"));
        assertThat(store.stateBytes()).isEqualTo(2 * ENTRY - 3);
        // The 3 bytes freed are room for a name 3 bytes longer, and not one more.
        assertThat(apply(new Command.Put("k2", "short123"))).isEqualTo(new Result.Ok("short123"));
        assertThat(apply(new Command.Put("k2", "short1234"))).isInstanceOf(Result.QuotaExceeded.class);
    }

    @Test
    void writesThatDoNotGrowTheStateApplyEvenAboveTheQuota() {
        KvStore unlimited = new KvStore();
        for (int i = 1; i <= 3; i++) {
            unlimited.apply(new LogEntry(1, i, new Command.Put("k" + i, "12345678"), null));
        }
        store = new KvStore(SessionLimits.DEFAULT, new StateQuota(2 * ENTRY)); // a smaller quota after a restart
        store.restore(new Snapshot(3, 1, List.of("n1"), unlimited.snapshotBytes()));
        index = 3;
        assertThat(apply(new Command.Put("k1", "abcdefgh"))).as("the same size").isEqualTo(new Result.Ok("abcdefgh"));
        assertThat(apply(new Command.Put("k2", "short"))).as("smaller").isEqualTo(new Result.Ok("short"));
        assertThat(store.stateBytes()).isEqualTo(3 * ENTRY - 3);
        assertThat(apply(new Command.Put("k2", "short1"))).as("larger, still above the quota")
                .isInstanceOf(Result.QuotaExceeded.class);
    }

    @Test
    void deletesApplyOverTheQuotaAndMakeRoom() {
        // A state above the quota: restored from a snapshot of a store without one.
        KvStore unlimited = new KvStore();
        for (int i = 1; i <= 3; i++) {
            unlimited.apply(new LogEntry(1, i, new Command.Put("k" + i, "12345678"), null));
        }
        store = new KvStore(SessionLimits.DEFAULT, new StateQuota(2 * ENTRY));
        store.restore(new Snapshot(3, 1, List.of("n1"), unlimited.snapshotBytes()));
        index = 3;
        assertThat(store.stateBytes()).isEqualTo(3 * ENTRY);

        assertThat(apply(new Command.Put("k4", "1"))).isEqualTo(new Result.QuotaExceeded(3 * ENTRY, 2 * ENTRY));
        assertThat(apply(new Command.Delete("k1"))).isEqualTo(new Result.Ok("12345678"));
        assertThat(apply(new Command.Delete("k1"))).isEqualTo(new Result.NotFound());
        assertThat(store.stateBytes()).isEqualTo(2 * ENTRY);
        assertThat(apply(new Command.Put("k4", "1"))).isInstanceOf(Result.QuotaExceeded.class);
        assertThat(apply(new Command.Delete("k2"))).isEqualTo(new Result.Ok("12345678"));
        assertThat(apply(new Command.Put("k4", "1"))).isEqualTo(new Result.Ok("1"));
        assertThat(store.stateBytes()).isEqualTo(ENTRY + StateQuota.entryBytes("k4", "1"));
    }

    @Test
    void twoReplicasApplyingTheSameLogRefuseTheSameWritesAndAReplicaRestoredMidwayToo() {
        StateQuota quota = new StateQuota(20 * ENTRY);
        KvStore a = new KvStore(SessionLimits.DEFAULT, quota);
        KvStore b = new KvStore(SessionLimits.DEFAULT, quota);
        KvStore restored = null;
        SplittableRandom random = new SplittableRandom(18);
        List<Result> resultsOfA = new ArrayList<>();
        List<Result> resultsOfB = new ArrayList<>();
        List<Result> resultsOfRestored = new ArrayList<>();
        int refused = 0;
        for (long i = 1; i <= 2_000; i++) {
            String id = "k" + random.nextInt(40);
            Command command = switch (random.nextInt(4)) {
                case 0 -> new Command.Delete(id);
                case 1 -> new Command.Cas(id, "x".repeat(random.nextInt(12)), "y".repeat(random.nextInt(12)));
                default -> new Command.Put(id, "x".repeat(random.nextInt(12)));
            };
            LogEntry entry = new LogEntry(1, i, command, null);
            Result result = a.apply(entry);
            resultsOfA.add(result);
            resultsOfB.add(b.apply(entry));
            if (restored != null) {
                resultsOfRestored.add(restored.apply(entry));
            }
            if (i == 1_000) { // a replica that joins from a's snapshot continues exactly like a and b
                restored = new KvStore(SessionLimits.DEFAULT, quota);
                restored.restore(new Snapshot(i, 1, List.of("n1"), a.snapshotBytes()));
                assertThat(restored.stateBytes()).isEqualTo(a.stateBytes());
            }
            refused += result instanceof Result.QuotaExceeded ? 1 : 0;
            assertThat(a.stateBytes()).isLessThanOrEqualTo(quota.maxBytes());
        }
        assertThat(refused).as("writes refused by the quota").isGreaterThan(10);
        assertThat(resultsOfB).isEqualTo(resultsOfA);
        assertThat(resultsOfRestored).isEqualTo(resultsOfA.subList(1_000, 2_000));
        assertThat(b.stateBytes()).isEqualTo(a.stateBytes());
        assertThat(restored.stateBytes()).isEqualTo(a.stateBytes());
        assertThat(restored.snapshotBytes()).isEqualTo(a.snapshotBytes());
        long recount = a.copyOfMap().entrySet().stream().mapToLong(e -> StateQuota.entryBytes(e.getKey(), e.getValue())).sum();
        assertThat(a.stateBytes()).isEqualTo(recount);
    }

    @Test
    void aRefusedWriteIsTheSessionsRecordedAnswerEvenAfterRoomIsMadeAndAfterASnapshot_6_3() {
        store = new KvStore(SessionLimits.DEFAULT, new StateQuota(ENTRY));
        String client = ((Result.SessionOpened) apply(new Command.OpenSession())).clientId();
        apply(new Command.Put("k1", "12345678"));
        Result refused = apply(new Command.Put("k2", "12345678"), client, 1);
        assertThat(refused).isEqualTo(new Result.QuotaExceeded(ENTRY, ENTRY));

        apply(new Command.Delete("k1"));
        // §6.3: the retried copy is answered from the session, not executed now that there is room.
        assertThat(apply(new Command.Put("k2", "12345678"), client, 1)).isEqualTo(refused);
        KvStore copy = new KvStore(SessionLimits.DEFAULT, new StateQuota(ENTRY));
        copy.restore(new Snapshot(index, 1, List.of("n1"), store.snapshotBytes()));
        assertThat(copy.lookup(new Session(client, 1))).isEqualTo(new CommandStatus.Executed(refused));
        assertThat(store.get("k2")).isEqualTo(new Result.NotFound());
    }

    /** The snapshot bytes with the lastApplied field (bytes 4 to 11) zeroed. */
    private static byte[] withoutLastApplied(byte[] snapshot) {
        byte[] copy = snapshot.clone();
        java.util.Arrays.fill(copy, 4, 12, (byte) 0);
        return copy;
    }
}
