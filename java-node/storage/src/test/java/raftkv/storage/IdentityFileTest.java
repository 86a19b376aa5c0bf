package raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import raftkv.storage.fs.FileHandle;
import raftkv.storage.fs.StrictMemFileSystem;

class IdentityFileTest {

    private static final Path DIR = Path.of("/data");
    private static final StoredIdentity BOOTSTRAPPING = new StoredIdentity.Bootstrapping("n2", 0x1234_5678_9abc_def0L);
    private static final StoredIdentity MEMBER = new StoredIdentity.Member("n2", 0x1234_5678_9abc_def0L, "c0ffee",
            new TreeMap<>(java.util.Map.of("n1", -7L, "n2", 0x1234_5678_9abc_def0L, "n3", 42L)));

    private final StrictMemFileSystem fs = new StrictMemFileSystem();

    IdentityFileTest() throws IOException {
        fs.createDirectoriesDurably(DIR);
    }

    @Test
    void aDirectoryThatNeverHadAnIdentityHasNone() throws IOException {
        assertThat(new IdentityFile(fs, DIR).load()).isEmpty();
    }

    @Test
    void bothKindsOfIdentityAreLoadedAsSavedAndSurviveAPowerLoss() throws IOException {
        new IdentityFile(fs, DIR).save(BOOTSTRAPPING);
        assertThat(new IdentityFile(fs, DIR).load()).contains(BOOTSTRAPPING);
        new IdentityFile(fs, DIR).save(MEMBER);
        fs.crash();
        assertThat(new IdentityFile(fs, DIR).load()).contains(MEMBER);
    }

    @Test
    void aPowerLossAtAnyStepOfASaveLeavesTheOldIdentityOrTheNewOne() throws IOException {
        for (long crashAt = 0; ; crashAt++) {
            CrashingFileSystem crashing = new CrashingFileSystem();
            crashing.createDirectoriesDurably(DIR);
            new IdentityFile(crashing, DIR).save(BOOTSTRAPPING);
            crashing.crashBeforeOperation(crashAt);
            try {
                new IdentityFile(crashing, DIR).save(MEMBER);
            } catch (CrashingFileSystem.PowerLoss e) {
                assertThat(new IdentityFile(crashing.disk, DIR).load()).as("after a crash at step " + crashAt)
                        .isIn(Optional.of(BOOTSTRAPPING), Optional.of(MEMBER));
                continue;
            }
            crashing.disk.crash();
            assertThat(new IdentityFile(crashing.disk, DIR).load()).contains(MEMBER);
            assertThat(crashAt).as("the save has a few steps").isGreaterThan(2);
            return;
        }
    }

    @Test
    void aTruncatedIdentityIsRefusedWithAClearError() throws IOException {
        new IdentityFile(fs, DIR).save(MEMBER);
        byte[] bytes = fs.readAllBytes(DIR.resolve(IdentityFile.FILE));
        for (int length : new int[] {0, 5, bytes.length - 1}) {
            overwrite(Arrays.copyOf(bytes, length));
            assertThatThrownBy(() -> new IdentityFile(fs, DIR).load()).as("cut to " + length + " bytes")
                    .isInstanceOf(StorageCorruptedException.class)
                    .hasMessageContaining("identity file")
                    .hasMessageContaining("Refusing to start");
        }
    }

    @Test
    void aDamagedByteAnywhereIsRefused() throws IOException {
        new IdentityFile(fs, DIR).save(MEMBER);
        byte[] bytes = fs.readAllBytes(DIR.resolve(IdentityFile.FILE));
        for (int i = 0; i < bytes.length; i++) {
            byte[] damaged = bytes.clone();
            damaged[i] ^= 0x10;
            overwrite(damaged);
            assertThatThrownBy(() -> new IdentityFile(fs, DIR).load()).as("byte " + i + " flipped")
                    .isInstanceOf(StorageCorruptedException.class);
        }
    }

    @Test
    void everyIdentityASaveWritesIsLoadedBackTheShortestAndTheLargestToo() throws IOException {
        TreeMap<String, Long> largest = new TreeMap<>();
        for (int i = 0; i < IdentityFile.MAX_MEMBERS; i++) {
            largest.put("n" + i, i + 1L);
        }
        for (StoredIdentity identity : new StoredIdentity[] {
                new StoredIdentity.Bootstrapping("", 1), // the smallest file: an empty name, no cluster
                new StoredIdentity.Member("n1", 5, "c", new TreeMap<>(java.util.Map.of("n1", 5L))), // one member
                new StoredIdentity.Member("n7", 8, "c", largest)}) {
            new IdentityFile(fs, DIR).save(identity);
            assertThat(new IdentityFile(fs, DIR).load()).contains(identity);
        }
    }

    @Test
    void anIdentityWithMoreMembersThanLoadAcceptsIsNeverWrittenAndTheSavedOneStays() throws IOException {
        TreeMap<String, Long> tooMany = new TreeMap<>();
        for (int i = 0; i <= IdentityFile.MAX_MEMBERS; i++) {
            tooMany.put("n" + i, i + 1L);
        }
        tooMany.put("n1", 5L); // the saving node's own incarnation
        new IdentityFile(fs, DIR).save(BOOTSTRAPPING);
        assertThatThrownBy(() -> new IdentityFile(fs, DIR).save(new StoredIdentity.Member("n1", 5, "c", tooMany)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("nothing was written");
        assertThat(new IdentityFile(fs, DIR).load()).contains(BOOTSTRAPPING);
    }

    /** An identity file with a valid checksum whose member table holds {@code count} members. */
    private void craftMemberTable(int count) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
        out.writeInt(0x49_44_4e_31); // "IDN1"
        out.writeUTF("n0");
        out.writeLong(1);
        out.writeBoolean(true);
        out.writeUTF("c");
        out.writeInt(count);
        for (int i = 0; i < Math.max(0, count); i++) {
            out.writeUTF("n" + i);
            out.writeLong(i + 1L);
        }
        overwrite(Checksums.withTrailer(bytes.toByteArray()));
    }

    @Test
    void aMemberTableOfNoMemberOrOfMoreThanAnyClusterHasIsRefusedThoughItsChecksumHolds() throws IOException {
        for (int count : new int[] {0, -1, IdentityFile.MAX_MEMBERS + 1}) {
            craftMemberTable(count);
            assertThatThrownBy(() -> new IdentityFile(fs, DIR).load()).as("%d members", count)
                    .isInstanceOf(StorageCorruptedException.class)
                    .hasMessageContaining("is malformed (" + count + " members)");
        }
        craftMemberTable(IdentityFile.MAX_MEMBERS);
        assertThat(new IdentityFile(fs, DIR).load()).as("the bound itself").isPresent();
    }

    @Test
    void aFileOfAnotherKindOrWithBytesAfterTheIdentityIsRefusedThoughItsChecksumHolds() throws IOException {
        new IdentityFile(fs, DIR).save(BOOTSTRAPPING);
        byte[] saved = fs.readAllBytes(DIR.resolve(IdentityFile.FILE));
        byte[] body = Arrays.copyOf(saved, saved.length - Checksums.BYTES);

        byte[] otherMagic = body.clone();
        otherMagic[3] ^= 0x01;
        overwrite(Checksums.withTrailer(otherMagic));
        assertThatThrownBy(() -> new IdentityFile(fs, DIR).load()).isInstanceOf(StorageCorruptedException.class)
                .hasMessageContaining("unknown magic");

        overwrite(Checksums.withTrailer(Arrays.copyOf(body, body.length + 1)));
        assertThatThrownBy(() -> new IdentityFile(fs, DIR).load()).isInstanceOf(StorageCorruptedException.class)
                .hasMessageContaining("bytes after the identity");
    }

    @Test
    void aMemberTableWithoutTheNodeItselfIsRejected() {
        assertThatThrownBy(() -> new StoredIdentity.Member("n4", 1, "c", new TreeMap<>(java.util.Map.of("n1", 1L))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StoredIdentity.Bootstrapping("n1", 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void incarnationsAreSixteenHexDigitsBothWays() {
        assertThat(StoredIdentity.format(-1L)).isEqualTo("ffffffffffffffff");
        assertThat(StoredIdentity.parse(StoredIdentity.format(0x0123_4567_89ab_cdefL))).isEqualTo(0x0123_4567_89ab_cdefL);
        assertThatThrownBy(() -> StoredIdentity.parse("12")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StoredIdentity.parse("zzzzzzzzzzzzzzzz")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StoredIdentity.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    private void overwrite(byte[] bytes) throws IOException {
        try (FileHandle handle = fs.openTruncated(DIR.resolve(IdentityFile.FILE))) {
            handle.write(bytes);
            handle.sync();
        }
    }
}
