package raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.random.RandomGenerator;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import raftkv.core.LogEntry;
import raftkv.storage.fs.TearPolicy;

/**
 * Finding 3: a power loss in the middle of an unsynced multi-page write may keep page N+1 and lose
 * page N. That is an ordinary crash, not corruption: recovery must start, with every fsynced record.
 */
class WalTornWriteTest {

    private static final int PAGE = TearPolicy.PAGE_SIZE;

    /** What was written: the log after each record, and how many records were fsynced. */
    private static final class History {
        final List<List<LogEntry>> logAfterRecord = new ArrayList<>(List.of(List.of()));
        int syncedRecords;
        long syncedBytes;

        List<LogEntry> current() {
            return logAfterRecord.getLast();
        }

        void append(Wal wal, long truncateFrom, List<LogEntry> entries) throws IOException {
            wal.append(truncateFrom, entries);
            if (truncateFrom > 0) {
                logAfterRecord.add(List.copyOf(current().subList(0, (int) truncateFrom - 1)));
            }
            for (LogEntry entry : entries) {
                logAfterRecord.add(WalFixture.concat(current(), List.of(entry)));
            }
        }

        void sync(Wal wal, WalFixture fixture) throws IOException {
            wal.sync();
            syncedRecords = logAfterRecord.size() - 1;
            syncedBytes = fixture.size();
        }

        /** A log recovery may legally return: the replay of all synced records and maybe some more. */
        List<List<LogEntry>> acceptable() {
            return logAfterRecord.subList(syncedRecords, logAfterRecord.size());
        }
    }

    private static List<LogEntry> bulkyBatch(long from, int count, int bytesEach) {
        List<LogEntry> batch = new ArrayList<>();
        for (long index = from; index < from + count; index++) {
            batch.add(WalFixture.bulky(1, index, bytesEach));
        }
        return batch;
    }

    /** Three synced batches, then three unsynced batches of about 2.5 pages each. */
    private static History writeSyncedThenUnsyncedBatches(WalFixture fixture) throws IOException {
        History history = new History();
        Wal wal = fixture.open();
        for (int batch = 0; batch < 6; batch++) {
            history.append(wal, 0, bulkyBatch(history.current().size() + 1, 17, 560));
            if (batch < 3) {
                history.sync(wal, fixture);
            }
        }
        return history;
    }

    private static void assertRecoversEverySyncedRecordAndGoesOn(WalFixture fixture, History history, String tear)
            throws IOException {
        List<LogEntry> recovered = fixture.reopen(); // throws if it calls the tear corruption
        assertThat(history.acceptable()).as("recovered after %s: %s entries", tear, recovered.size())
                .contains(recovered);

        List<LogEntry> next = bulkyBatch(recovered.size() + 1, 3, 100);
        fixture.write(0, next);
        fixture.fs.crash();
        assertThat(fixture.reopen()).as("appended after recovering from %s", tear)
                .isEqualTo(WalFixture.concat(recovered, next));
    }

    @Test
    void losingPageNButKeepingPageNPlusOneIsATornTailNotCorruption() throws IOException {
        long firstUnsyncedPage;
        long lastPage;
        {
            WalFixture probe = new WalFixture();
            History history = writeSyncedThenUnsyncedBatches(probe);
            firstUnsyncedPage = history.syncedBytes / PAGE;
            lastPage = (probe.size() - 1) / PAGE;
        }
        assertThat(lastPage - firstUnsyncedPage).as("unsynced pages").isGreaterThanOrEqualTo(6);

        for (long lost = firstUnsyncedPage; lost < lastPage; lost++) {
            Set<Long> justTheNext = Set.of(lost + 1);
            Set<Long> allButLost = new TreeSet<>(LongStream.rangeClosed(firstUnsyncedPage, lastPage).boxed().toList());
            allButLost.remove(lost);
            for (Set<Long> kept : List.of(justTheNext, allButLost)) {
                WalFixture fixture = new WalFixture();
                History history = writeSyncedThenUnsyncedBatches(fixture);
                fixture.fs.crash(new TearPolicy.KeepPages(kept));
                assertRecoversEverySyncedRecordAndGoesOn(fixture, history, "losing page " + lost + ", keeping " + kept);
            }
        }
    }

    @Test
    void randomTearsOfRandomWorkloadsNeverLoseASyncedRecordNorClaimCorruption() throws IOException {
        for (long seed = 0; seed < 300; seed++) {
            RandomGenerator random = new SplittableRandom(seed);
            WalFixture fixture = new WalFixture();
            History history = new History();
            Wal wal = fixture.open();
            int batches = 2 + random.nextInt(8);
            for (int batch = 0; batch < batches; batch++) {
                long truncateFrom = 0;
                if (!history.current().isEmpty() && random.nextInt(5) == 0) {
                    truncateFrom = 1 + random.nextInt(history.current().size());
                }
                long from = truncateFrom > 0 ? truncateFrom : history.current().size() + 1;
                history.append(wal, truncateFrom, bulkyBatch(from, 1 + random.nextInt(12), random.nextInt(1200)));
                if (random.nextBoolean()) {
                    history.sync(wal, fixture);
                }
            }
            fixture.fs.crash(new TearPolicy.RandomPages(random));
            assertRecoversEverySyncedRecordAndGoesOn(fixture, history, "a random tear with seed " + seed);
        }
    }
}
