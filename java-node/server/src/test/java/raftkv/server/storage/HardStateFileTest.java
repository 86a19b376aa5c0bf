package raftkv.server.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.core.HardState;

class HardStateFileTest {

    @TempDir
    Path dir;

    @Test
    void aFreshDirectoryMeansTermZeroAndNoVote() throws IOException {
        assertThat(new HardStateFile(dir.resolve("hardstate")).load()).isEqualTo(HardState.INITIAL);
    }

    @Test
    void theLatestSavedTermAndVoteAreLoaded() throws IOException {
        HardStateFile file = new HardStateFile(dir.resolve("hardstate"));
        file.save(new HardState(3, "n2"));
        file.save(new HardState(7, null));
        file.save(new HardState(7, "n1"));

        assertThat(new HardStateFile(dir.resolve("hardstate")).load()).isEqualTo(new HardState(7, "n1"));
    }

    @Test
    void savingLeavesNoTemporaryFileBehind() throws IOException {
        new HardStateFile(dir.resolve("hardstate")).save(new HardState(1, "n1"));

        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("hardstate");
        }
    }

    @Test
    void aCorruptedFileRefusesRatherThanForgetAVote() throws IOException {
        Path path = dir.resolve("hardstate");
        new HardStateFile(path).save(new HardState(4, "n3"));
        byte[] bytes = Files.readAllBytes(path);
        bytes[6] ^= 1;
        Files.write(path, bytes);

        assertThatThrownBy(() -> new HardStateFile(path).load()).isInstanceOf(WalCorruptedException.class);
    }
}
