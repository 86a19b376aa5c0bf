package raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.core.ClusterConfig;
import raftkv.core.Snapshot;
import raftkv.core.SnapshotData;
import raftkv.storage.fs.StrictMemFileSystem;

/**
 * InstallSnapshot's receiver (dissertation Figure 5.3, rules 2-5) on disk: chunks go to a temporary
 * file, which is published under the snapshot's name only when installed; a transfer that is
 * replaced, dropped or left unfinished when the node stops leaves no file behind.
 */
class SnapshotFileSinkTest {

    private static final List<String> MEMBERS = List.of("n1", "n2", "n3");

    private final StrictMemFileSystem fs = new StrictMemFileSystem();
    private final Path dir = Path.of("/data");
    private final SnapshotFiles files;
    private final SnapshotFileSink sink;

    SnapshotFileSinkTest() throws IOException {
        fs.createDirectoriesDurably(dir);
        files = new SnapshotFiles(fs, dir);
        sink = new SnapshotFileSink(files);
    }

    private List<String> names() throws IOException {
        return fs.list(dir).stream().map(p -> p.getFileName().toString()).toList();
    }

    private SnapshotData received(long index, byte[] data) {
        sink.begin(index, 2, ClusterConfig.ofVoterIds(MEMBERS));
        sink.append(data);
        return sink.finish();
    }

    @Test
    void chunksNeedABegunTransfer_Figure5_3Rule2() {
        assertThatThrownBy(() -> sink.append(new byte[] {1})).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(sink::finish).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aNewTransferDiscardsTheUnfinishedOne_Figure5_3Rule2() throws IOException {
        sink.begin(5, 2, ClusterConfig.ofVoterIds(MEMBERS));
        sink.append(new byte[] {1});
        sink.begin(9, 3, ClusterConfig.ofVoterIds(MEMBERS));

        assertThat(names()).containsExactly(SnapshotFiles.nameOf(9) + AtomicFileWriter.TEMP_SUFFIX);
    }

    @Test
    void aFinishedSnapshotIsHeldUntilPublishedUnderItsName_Figure5_3Rule5() throws IOException {
        SnapshotData data = received(5, new byte[] {1, 2});
        Snapshot snapshot = new Snapshot(5, 2, MEMBERS, data);

        assertThat(sink.holds(snapshot)).isTrue();
        assertThat(sink.holds(new Snapshot(5, 2, MEMBERS, received(6, new byte[] {1, 2}))))
                .as("the later transfer's").isTrue();
        assertThat(sink.holds(snapshot)).as("replaced by the later one").isFalse();
        assertThat(names()).as("the replaced one's file is gone")
                .containsExactly(SnapshotFiles.nameOf(6) + AtomicFileWriter.TEMP_SUFFIX);

        Snapshot later = new Snapshot(6, 2, MEMBERS, received(7, new byte[] {3}));
        assertThat(sink.holds(later)).isTrue();
        Snapshot published = sink.publish();
        assertThat(published.lastIncludedIndex()).isEqualTo(7);
        assertThat(published.data().read(0, 1)).containsExactly(3);
        assertThat(names()).containsExactly(SnapshotFiles.nameOf(7));
        assertThat(sink.holds(later)).as("published: nothing held").isFalse();
    }

    @Test
    void droppingTheFinishedSnapshotRemovesItsFileAndOnlyIts_Figure5_3Rule6() throws IOException {
        SnapshotData data = received(5, new byte[] {1});
        SnapshotData other = SnapshotData.of(new byte[] {1});

        sink.drop(other);
        assertThat(names()).as("another snapshot's data: nothing to drop").hasSize(1);

        sink.drop(data);
        assertThat(names()).isEmpty();
        assertThat(sink.holds(new Snapshot(5, 2, MEMBERS, data))).isFalse();
    }

    @Test
    void closingLeavesNoTemporaryFileBehind() throws IOException {
        received(5, new byte[] {1});
        sink.begin(9, 3, ClusterConfig.ofVoterIds(MEMBERS));
        sink.append(new byte[] {2});

        sink.close();

        assertThat(names()).isEmpty();
    }
}
