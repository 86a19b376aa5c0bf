package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Rules for code that runs on virtual threads, checked in the source because the JDK the tests run
 * on cannot show the failure: the Docker nodes run Java 21, where a virtual thread that blocks
 * inside {@code synchronized} pins its carrier thread; Java 24 and later (the tests' JDK, usually)
 * do not pin there (JEP 491). Under Jepsen a node on Java 21 froze when two of its stream readers
 * blocked inside {@code synchronized} on its two carriers: no HTTP, no peer traffic, while its event
 * loop (a platform thread) ran on. Locks from {@code java.util.concurrent.locks} unmount instead.
 */
class VirtualThreadRulesTest {

    private static final Path SERVER_SOURCES = Path.of("src/main/java/raftkv/server");
    // Comments, string and char literals in one left-to-right pass, so that "/kv/*" in a string opens
    // no comment and a quote in a comment opens no string. Each literal is an unrolled loop
    // (runs of plain characters, possessive, between escapes): a long one cannot overflow the stack.
    private static final Pattern NOT_CODE = Pattern.compile(
            "/\\*.*?\\*/|//[^\\n]*+|\"[^\"\\\\]*+(?:\\\\.[^\"\\\\]*+)*+\"|'[^'\\\\]*+(?:\\\\.[^'\\\\]*+)*+'",
            Pattern.DOTALL);
    private static final Pattern SYNCHRONIZED = Pattern.compile("\\bsynchronized\\b");

    @Test
    void serverCodeBlocksOnLocksThatUnmountAVirtualThreadNeverInsideSynchronized() throws IOException {
        List<Path> sources;
        try (Stream<Path> files = Files.walk(SERVER_SOURCES)) {
            sources = files.filter(f -> f.toString().endsWith(".java")).toList();
        }
        assertThat(sources).as("server sources found under %s", SERVER_SOURCES.toAbsolutePath()).hasSizeGreaterThan(10);
        List<String> offenders = sources.stream()
                .filter(source -> SYNCHRONIZED.matcher(code(source)).find())
                .map(Path::toString)
                .toList();
        assertThat(offenders).as("server sources using synchronized (use a ReentrantLock)").isEmpty();
    }

    /** The source without comments and string literals, where the word may appear harmlessly. */
    private static String code(Path source) {
        try {
            String text = Files.readString(source);
            return NOT_CODE.matcher(text).replaceAll(match -> match.group().startsWith("/") ? " " : "\"\"");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
