package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static raftkv.core.Harness.THREE;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The state machine's point-in-time view for a snapshot written off the driver's thread
 * (dissertation §5.2, "copy-on-write"): {@link KvStore#freeze()}, writes kept aside, {@link KvStore#thaw()}.
 */
class FrozenViewTest {

    private static LogEntry put(long index, String id, String name) {
        return new LogEntry(1, index, new Command.Put(id, name), null);
    }

    private static LogEntry delete(long index, String id) {
        return new LogEntry(1, index, new Command.Delete(id), null);
    }

    private static KvStore restored(KvStore.Frozen frozen) {
        KvStore kv = new KvStore();
        kv.restore(new Snapshot(frozen.index(), 1, THREE, frozen.toBytes()));
        return kv;
    }

    @Test
    void writesAfterTheFreezeAreInvisibleToTheViewAndVisibleToReads_5_2() {
        KvStore kv = new KvStore();
        kv.apply(put(1, "a", "1"));
        kv.apply(put(2, "b", "2"));
        KvStore.Frozen frozen = kv.freeze();
        kv.apply(put(3, "a", "changed"));
        kv.apply(delete(4, "b"));
        kv.apply(put(5, "c", "new"));

        assertThat(kv.get("a")).isEqualTo(new Result.Ok("changed"));
        assertThat(kv.get("b")).isEqualTo(new Result.NotFound());
        assertThat(kv.get("c")).isEqualTo(new Result.Ok("new"));
        assertThat(kv.size()).isEqualTo(2);
        assertThat(kv.copyOfMap()).containsExactly(java.util.Map.entry("a", "changed"), java.util.Map.entry("c", "new"));

        assertThat(frozen.index()).isEqualTo(2);
        assertThat(restored(frozen).copyOfMap()).containsExactly(java.util.Map.entry("a", "1"), java.util.Map.entry("b", "2"));
    }

    @Test
    void theViewWritesTheSameBytesAsTheSynchronousEncodingAtItsIndex() {
        KvStore frozenOne = new KvStore();
        KvStore neverFrozen = new KvStore();
        List<LogEntry> log = List.of(
                new LogEntry(1, 1, new Command.OpenSession(), null),
                new LogEntry(1, 2, new Command.Put("x", "1"), new Session("1", 1)),
                put(3, "y", "ü".repeat(1000)),
                delete(4, "x"));
        log.forEach(frozenOne::apply);
        log.forEach(neverFrozen::apply);
        KvStore.Frozen frozen = frozenOne.freeze();
        frozenOne.apply(put(5, "z", "after"));

        assertThat(frozen.toBytes()).isEqualTo(neverFrozen.snapshotBytes());
    }

    @Test
    void thawingGivesTheSameMapAsNeverFreezing() {
        SplittableRandom random = new SplittableRandom(18);
        KvStore frozenNow = new KvStore();
        KvStore neverFrozen = new KvStore();
        long index = 0;
        for (int round = 0; round < 20; round++) {
            KvStore.Frozen frozen = frozenNow.freeze();
            byte[] atFreeze = neverFrozen.snapshotBytes();
            for (int i = 0; i < 50; i++) {
                String id = "k" + random.nextInt(40);
                index++;
                LogEntry entry = random.nextInt(3) == 0 ? delete(index, id) : put(index, id, "v" + round + "-" + i);
                Result a = frozenNow.apply(entry);
                Result b = neverFrozen.apply(entry);
                assertThat(a).isEqualTo(b);
                assertThat(frozenNow.size()).isEqualTo(neverFrozen.size());
            }
            assertThat(frozen.toBytes()).isEqualTo(atFreeze); // still the state it froze
            frozenNow.thaw();
            assertThat(frozenNow.copyOfMap()).isEqualTo(neverFrozen.copyOfMap());
            assertThat(frozenNow.snapshotBytes()).isEqualTo(neverFrozen.snapshotBytes());
        }
    }

    @Test
    void onlyOneViewIsOutAtATime() {
        KvStore kv = new KvStore();
        kv.apply(put(1, "a", "1"));
        kv.freeze();
        assertThatThrownBy(kv::freeze).isInstanceOf(IllegalStateException.class);
        kv.thaw();
        assertThat(kv.freeze().index()).isEqualTo(1);
    }

    @Test
    void aRestoreWhileFrozenLeavesTheViewAloneAndNothingToThaw_Figure5_3Rule8() {
        KvStore kv = new KvStore();
        kv.apply(put(1, "a", "mine"));
        KvStore.Frozen frozen = kv.freeze();
        KvStore leader = new KvStore();
        for (long i = 1; i <= 5; i++) {
            leader.apply(put(i, "l" + i, "theirs"));
        }
        kv.restore(new Snapshot(5, 1, THREE, leader.snapshotBytes()));
        kv.apply(put(6, "after", "restore"));
        kv.thaw(); // the writer of the old view finishes: nothing of it comes back

        assertThat(restored(frozen).copyOfMap()).containsExactly(java.util.Map.entry("a", "mine"));
        assertThat(kv.get("a")).isEqualTo(new Result.NotFound());
        assertThat(kv.size()).isEqualTo(6);
        assertThat(kv.freeze().index()).isEqualTo(6); // and a new view may be taken
    }

    @Test
    void theMergedViewIteratesInKeyOrderFromAnyKey() {
        LayeredMap map = new LayeredMap();
        TreeMap<String, String> reference = new TreeMap<>();
        for (String key : List.of("b", "d", "f", "h")) {
            map.put(key, "base");
            reference.put(key, "base");
        }
        map.freeze();
        map.put("a", "new");
        map.put("d", "changed");
        map.remove("f");
        map.put("g", "new");
        map.remove("g");
        reference.put("a", "new");
        reference.put("d", "changed");
        reference.remove("f");
        for (String after : new String[] {null, "a", "c", "d", "f", "h"}) {
            List<String> merged = new ArrayList<>();
            map.entriesAfter(after).forEachRemaining(e -> merged.add(e.getKey() + "=" + e.getValue()));
            List<String> expected = new ArrayList<>();
            (after == null ? reference : reference.tailMap(after, false))
                    .forEach((k, v) -> expected.add(k + "=" + v));
            assertThat(merged).as("after %s", after).isEqualTo(expected);
        }
        assertThat(map.size()).isEqualTo(reference.size());
    }

    @Test
    void pagesReadWhileAViewIsOutShowTheWritesMadeSinceInIdOrder() {
        KvStore kv = new KvStore();
        long index = 0;
        for (String id : List.of("b", "d", "f", "h")) {
            kv.apply(put(++index, id, "old"));
        }
        kv.freeze();
        kv.apply(put(++index, "a", "new")); // only in the overlay
        kv.apply(delete(++index, "d")); // hidden in the frozen base
        kv.apply(put(++index, "f", "new")); // overridden
        kv.apply(put(++index, "g", "new"));

        List<java.util.Map.Entry<String, String>> walked = new ArrayList<>();
        String after = "";
        while (after != null) {
            KvStore.Page page = kv.page(after, 2);
            walked.addAll(page.entries());
            after = page.next();
        }
        assertThat(walked).containsExactly(java.util.Map.entry("a", "new"), java.util.Map.entry("b", "old"),
                java.util.Map.entry("f", "new"), java.util.Map.entry("g", "new"), java.util.Map.entry("h", "old"));
        assertThat(kv.page("b", 10).entries()).extracting(java.util.Map.Entry::getKey).containsExactly("f", "g", "h");
    }

    @Test
    void theQuotaCountsWritesMadeWhileAViewIsOutAndARestoreFromTheViewCountsItsOwnState() {
        long quota = StateQuota.entryBytes("a", "1") + StateQuota.entryBytes("b", "2") + StateQuota.entryBytes("c", "3");
        KvStore kv = new KvStore(SessionLimits.DEFAULT, new StateQuota(quota));
        KvStore neverFrozen = new KvStore(SessionLimits.DEFAULT, new StateQuota(quota));
        List<LogEntry> before = List.of(put(1, "a", "1"), put(2, "b", "2"));
        List<LogEntry> after = List.of(put(3, "c", "3"), put(4, "d", "4"), delete(5, "a"), put(6, "d", "4"));
        before.forEach(kv::apply);
        before.forEach(neverFrozen::apply);
        KvStore.Frozen frozen = kv.freeze();
        long frozenBytes = kv.stateBytes();
        for (LogEntry entry : after) {
            assertThat(kv.apply(entry)).as("entry %d", entry.index()).isEqualTo(neverFrozen.apply(entry));
            assertThat(kv.stateBytes()).as("entry %d", entry.index()).isEqualTo(neverFrozen.stateBytes());
        }
        assertThat(neverFrozen.get("d")).as("refused at the quota, then admitted once a delete made room")
                .isEqualTo(new Result.Ok("4"));

        KvStore fromView = new KvStore(SessionLimits.DEFAULT, new StateQuota(quota));
        fromView.restore(new Snapshot(frozen.index(), 1, THREE, frozen.toBytes()));
        assertThat(fromView.stateBytes()).isEqualTo(frozenBytes);
        kv.thaw();
        assertThat(kv.stateBytes()).isEqualTo(neverFrozen.stateBytes());
    }
}
