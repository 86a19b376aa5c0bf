package raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import raftkv.core.ClusterConfig;
import raftkv.core.Command;
import raftkv.core.ConfigChange;
import raftkv.core.HardState;
import raftkv.core.LogEntry;
import raftkv.core.Member;
import raftkv.core.RaftConfig;
import raftkv.core.RaftNode;
import raftkv.core.Snapshot;
import raftkv.storage.fs.FileHandle;
import raftkv.storage.fs.StrictMemFileSystem;

/**
 * The cluster configuration survives a crash (dissertation §4.1): configuration entries are WAL
 * records like any other, and every snapshot file carries the configuration in force at its index
 * (format 3; formats 1 and 2, which named the fixed members by id, are still read).
 */
class ConfigurationStorageTest {

    static final ClusterConfig BOOT = new ClusterConfig(List.of(new Member("n1", "http://n1:8080", "http://n1:9090"),
            new Member("n2", "http://n2:8080", "http://n2:9090"), new Member("n3", "http://n3:8080", "http://n3:9090")),
            List.of());
    static final ClusterConfig WITH_N4 = BOOT.apply(new ConfigChange.AddLearner(new Member("n4", "http://n4:8080",
            "http://n4:9090")));

    private final StrictMemFileSystem fs = new StrictMemFileSystem();
    private final Path dataDir = Path.of("/var/lib/raftkv/n1");

    @Test
    void aConfigurationEntryHasOneBinaryFormThatReadsBackWhole() throws IOException {
        LogEntry entry = new LogEntry(3, 7, new Command.Configuration(WITH_N4), null);
        byte[] bytes = EntryCodec.toBytes(entry);
        assertThat(EntryCodec.read(new DataInputStream(new ByteArrayInputStream(bytes)))).isEqualTo(entry);
    }

    @Test
    void walReplayGivesTheLatestConfigurationBackAfterAPowerLoss_4_1() throws IOException {
        List<LogEntry> log = List.of(new LogEntry(1, 1, new Command.Noop(), null),
                new LogEntry(1, 2, new Command.Configuration(WITH_N4), null));
        DiskStorage storage = DiskStorage.open(fs, dataDir);
        storage.persist(new HardState(1, "n1"), 0, log);
        fs.crash();
        try (DiskStorage reopened = DiskStorage.open(fs, dataDir)) {
            assertThat(reopened.recoveredEntries()).isEqualTo(log);
            RaftNode node = RaftNode.restart(RaftConfig.of("n1", BOOT.voterIds()).withBootstrap(BOOT),
                    reopened.recoveredHardState(), reopened.recoveredSnapshot(), reopened.recoveredEntries(),
                    new SplittableRandom(1), reopened.snapshotSink());
            assertThat(node.configuration()).isEqualTo(WITH_N4);
        }
    }

    @Test
    void aSnapshotFileCarriesItsConfigurationWithLearnersAndUrls_4_1() throws IOException {
        try (DiskStorage storage = DiskStorage.open(fs, dataDir)) {
            storage.installSnapshot(new Snapshot(9, 2, WITH_N4, new byte[] {1, 2, 3}));
        }
        fs.crash();
        try (DiskStorage reopened = DiskStorage.open(fs, dataDir)) {
            Snapshot snapshot = reopened.recoveredSnapshot().orElseThrow();
            assertThat(snapshot.configuration()).isEqualTo(WITH_N4);
            RaftNode node = RaftNode.restart(RaftConfig.of("n1", BOOT.voterIds()), reopened.recoveredHardState(),
                    Optional.of(snapshot), reopened.recoveredEntries(), new SplittableRandom(1), reopened.snapshotSink());
            assertThat(node.configuration()).isEqualTo(WITH_N4);
        }
    }

    @Test
    void aSnapshotFileOfFormat2IsReadAsItsMembersVoting() throws IOException {
        fs.createDirectoriesDurably(dataDir);
        byte[] data = "the state at 7".getBytes();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(0x52_4B_53_4E); // "RKSN"
        out.writeInt(2);
        out.writeLong(7);
        out.writeLong(2);
        out.writeInt(3);
        for (String member : List.of("n1", "n2", "n3")) {
            out.writeUTF(member);
        }
        out.write(data);
        out.writeLong(data.length);
        CRC32C crc = new CRC32C();
        crc.update(bytes.toByteArray());
        out.writeInt((int) crc.getValue());
        try (FileHandle file = fs.openTruncated(dataDir.resolve(SnapshotFiles.nameOf(7)))) {
            file.write(bytes.toByteArray());
            file.sync();
        }
        List<SnapshotFiles.Found> found = new SnapshotFiles(fs, dataDir).loadAll();
        assertThat(found).singleElement().isInstanceOfSatisfying(SnapshotFiles.Found.Valid.class, valid -> {
            assertThat(valid.snapshot().configuration()).isEqualTo(ClusterConfig.ofVoterIds(List.of("n1", "n2", "n3")));
            assertThat(valid.snapshot().data().readAll()).isEqualTo(data);
        });
    }
}
