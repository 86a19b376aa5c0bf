(ns jepsen.raftkv
  "The Jepsen test for raftkv: command line, test map, test matrix.

    lein run test --nodes n1,n2,n3,n4,n5 --time-limit 60 --rate 100 --concurrency 10 \\
                  --nemesis partition [--bug stale-read] [--jar PATH]
    lein run test-all [--nemesis ...] [--workload ...] [--with-bugs]
                                                            the matrix workloads x nemeses, with a
                                                            summary table (jepsen.raftkv.matrix)
    lein run explain [-t -1]                                each failing key of a stored run, in words
                                                            and as an SVG (jepsen.raftkv.explain)
    lein run serve                                          browse the results in store/

  A test runs in phases: the workload under faults for --time-limit seconds; heal everything (the
  nemesis' final generator: stop partitions, resume paused and restart killed nodes); a quiet
  period (--quiet-period); then the final generator: the whole map read through every node, for
  the convergence check."
  (:gen-class)
  (:require [clojure.string :as str]
            [clojure.tools.logging :refer [info warn]]
            [jepsen [checker :as checker]
                    [cli :as cli]
                    [generator :as gen]
                    [os :as os]
                    [tests :as tests]]
            [jepsen.checker.timeline :as timeline]
            [jepsen.raftkv [client :as client]
                           [db :as db]
                           [errors :as errors]
                           [matrix :as matrix]
                           [explain :as explain]
                           [nemesis :as nemesis]
                           [progress :as progress]
                           [register :as register]
                           [runner :as runner]
                           [set :as set-workload]]))

(def workloads
  "Workload names to functions of the options that build a workload."
  {:register register/workload
   :set      set-workload/workload})

(def algorithms
  "Knossos search algorithms."
  #{:linear :wgl :competition})

(defn raftkv-test
  "Builds a test map from parsed command-line options."
  [opts]
  (let [workload-name (:workload opts)
        workload      ((workloads workload-name) opts)
        db            (db/db)
        nem           (nemesis/nemesis-package db opts)
        main-phase    (->> (:generator workload)
                           (gen/stagger (/ (:rate opts)))
                           (gen/nemesis (:generator nem))
                           (gen/time-limit (:time-limit opts)))]
    (merge tests/noop-test
           opts
           ; No spaces: the name is the store directory, which people cd into.
           {:name            (str "raftkv-" (name workload-name)
                                  "-" (nemesis/nemesis-name (:nemesis opts))
                                  (when-let [b (:bug opts)] (str "-bug-" b))
                                  (when-let [n (:snapshot-entries opts)] (str "-snap-" n)))
            :pure-generators true
            :os              os/noop
            :db              db
            ; Wrapped only to count operations and follow the faults for the progress lines.
            :client          (progress/counting-client (:client workload))
            :nemesis         (progress/watching-nemesis (:nemesis nem))
            :generator       (gen/phases
                               main-phase
                               (gen/log "Healing the cluster")
                               (gen/nemesis (:final-generator nem))
                               (gen/log (str "Quiet period: " (:quiet-period opts) " s"))
                               (gen/sleep (:quiet-period opts))
                               (gen/log "Final reads through every node")
                               (:final-generator workload))
            :checker         (progress/timed-checker
                               (checker/compose
                                 {:perf       (checker/perf {:nemeses (:perf nem)})
                                  :stats      (checker/stats)
                                  :errors     (errors/checker)
                                  :exceptions (checker/unhandled-exceptions)
                                  :timeline   (timeline/html)
                                  :workload   (:checker workload)}))})))

(defn parse-bug
  "Validates a --bug name: one of the node's deliberate Raft violations."
  [s]
  (if (db/bugs s)
    s
    (throw (IllegalArgumentException.
             (str "unknown bug " (pr-str s) "; known: " (str/join ", " (sort db/bugs)))))))

(def cli-opts
  "Options shared by test and test-all (merged into Jepsen's own)."
  [[nil "--algorithm NAME" "Knossos search: linear, wgl or competition."
    :default :competition
    :parse-fn keyword
    :validate [algorithms (cli/one-of algorithms)]]

   [nil "--bug NAME" (str "Start every node with a deliberate Raft violation: "
                          (str/join ", " (sort db/bugs)) ".")
    :parse-fn parse-bug]

   [nil "--cluster-token TOKEN" "The nodes' shared secret (their --cluster-token): peers present it on /raft/*, operators on /admin/*."
    :default-fn   (fn [_] (db/random-token))
    :default-desc "random, one per run"]

   [nil "--concurrency NUMBER" "How many client workers? An integer, optionally followed by n (times the number of nodes). Must be a multiple of --threads-per-key."
    :default  "10"
    :validate [(partial re-find #"^\d+n?$") "Must be an integer, optionally followed by n."]]

   [nil "--final-read-timeout SECONDS" "How long each final read keeps retrying a node until it answers."
    :default  30
    :parse-fn parse-long
    :validate [#(and % (pos? %)) "Must be a positive integer."]]

   [nil "--jar PATH" "The raftkv node jar on this (control) machine; uploaded to every node."
    :default "../java-node/server/target/raftkv-node.jar"]

   [nil "--node-java-opts OPTS" "JVM options for raftkv on the nodes (space-separated); keep -XX:+ExitOnOutOfMemoryError, so that a node out of memory ends instead of living on serving nothing."
    :default "-Xmx512m -XX:+ExitOnOutOfMemoryError"]

   [nil "--max-inflight-requests NUM" "Start every node with --max-inflight-requests NUM (admission control: beyond NUM client requests held at once a request waits for a place, and is answered 429 overloaded, definite, which the client records as :fail, when the waiting room is full or its wait runs out). Small values make the 429 path part of the run."
    :parse-fn parse-long
    :validate [#(and % (pos? %)) "Must be a positive integer."]]

   [nil "--max-waiting-requests NUM" "Start every node with --max-waiting-requests NUM: how many requests may wait for a place (0: none, a request that finds every place taken is refused 429 at once). With a small --max-inflight-requests, 0 makes refusals frequent."
    :parse-fn parse-long
    :validate [#(and % (not (neg? %))) "Must be a non-negative integer."]]

   [nil "--nemesis FAULTS" "Faults: none, partition, kill, pause, member (grow and shrink the cluster, never below three voters), all (= mixed: every kind, one at a time), or a comma-separated list (e.g. member,partition,kill)."
    :default  #{}
    :default-desc "none"
    :parse-fn nemesis/parse-nemesis-spec]

   [nil "--nemesis-interval SECONDS" "Each fault is held, and each recovery gap between faults lasts, between half this and this many seconds."
    :default  10
    :parse-fn parse-double
    :validate [#(and % (pos? %)) "Must be a positive number."]]

   [nil "--nemesis-targets SCOPE" "minority: every fault leaves a working majority; any: kills and pauses may also hit a majority or all nodes."
    :default  :minority
    :parse-fn keyword
    :validate [nemesis/target-scopes (cli/one-of nemesis/target-scopes)]]

   [nil "--partitions SHAPES" "Partition shapes to draw from: all, or a comma-separated subset of one, majority, primaries (the leader alone), majorities-ring, bridge."
    :default  nemesis/partition-targets
    :default-desc "all"
    :parse-fn nemesis/parse-partitions
    :validate [some? (str "Must be all or a comma-separated list of " (str/join ", " (map name nemesis/partition-targets)) ".")]]

   [nil "--ops-per-key NUM" "Maximum number of operations on any one key (keeps Knossos tractable)."
    :default  100
    :parse-fn parse-long
    :validate [#(and % (pos? %)) "Must be a positive integer."]]

   [nil "--quiet-period SECONDS" "Seconds to wait after healing, before the final reads."
    :default  10
    :parse-fn parse-long
    :validate [#(and % (<= 0 %)) "Must be a non-negative integer."]]

   ["-r" "--rate HZ" "Approximate number of requests per second, over all workers."
    :default  100
    :parse-fn parse-double
    :validate [#(and % (pos? %)) "Must be a positive number."]]

   [nil "--request-timeout MS" "Client request timeout in milliseconds (after which a write is :info)."
    :id       :request-timeout-ms
    :default  2500
    :parse-fn parse-long
    :validate [#(and % (pos? %)) "Must be a positive integer."]]

   [nil "--connect-timeout MS" "Client connect timeout in milliseconds (after which an op is :fail: never sent)."
    :id       :connect-timeout-ms
    :default  1000
    :parse-fn parse-long
    :validate [#(and % (pos? %)) "Must be a positive integer."]]

   [nil "--snapshot-entries NUM" "Start every node with --snapshot-entries NUM (log compaction every NUM applied entries; small values make killed nodes catch up through InstallSnapshot)."
    :parse-fn parse-long
    :validate [#(and % (pos? %)) "Must be a positive integer."]]

   [nil "--snapshot-trailing-entries NUM" "With --snapshot-entries: log entries kept behind each snapshot (default 0)."
    :default  0
    :parse-fn parse-long
    :validate [#(and % (<= 0 %)) "Must be a non-negative integer."]]

   [nil "--set-read-interval SECONDS" "Set workload: seconds between reads of the whole set (one thread reads, the others add)."
    :default  1
    :parse-fn parse-double
    :validate [#(and % (pos? %)) "Must be a positive number."]]

   [nil "--threads-per-key NUM" "How many workers operate on each key concurrently."
    :default  5
    :parse-fn parse-long
    :validate [#(and % (pos? %)) "Must be a positive integer."]]])

(def test-cli-opts
  [["-w" "--workload NAME" "What workload should we run?"
    :default  :register
    :parse-fn keyword
    :validate [workloads (cli/one-of workloads)]]])

(def test-all-cli-opts
  [["-w" "--workload NAME" "Run only this workload (default: all)."
    :parse-fn keyword
    :validate [workloads (cli/one-of workloads)]]
   [nil "--with-bugs" "Also run the bug switches Jepsen catches, each under the faults that expose it; they must be invalid."]])

(defn validate-concurrency
  "An opt-fn (run after Jepsen's, which turns --concurrency into a number): the
  concurrent generator needs whole groups of --threads-per-key workers."
  [parsed]
  (let [{:keys [concurrency threads-per-key]} (:options parsed)]
    (if (and (integer? concurrency) threads-per-key
             (or (< concurrency threads-per-key)
                 (not (zero? (mod concurrency threads-per-key)))))
      (update parsed :errors (fnil conj [])
              (str "--concurrency " concurrency " must be a positive multiple of --threads-per-key "
                   threads-per-key))
      parsed)))

(defn test-all-opt-fn
  "For test-all, --nemesis is optional (nil means: every combination in all-nemeses)."
  [parsed]
  (validate-concurrency parsed))

(defn all-tests
  "The matrix of tests for test-all (see jepsen.raftkv.matrix/runs)."
  [opts]
  (map (comp raftkv-test :opts) (matrix/runs opts)))

(def test-opt-spec
  (into cli-opts test-cli-opts))

(def test-all-opt-spec
  (cli/without-defaults-for [:nemesis] (into cli-opts test-all-cli-opts)))

(defn commands
  "The subcommands: test, analyze, explain, test-all, serve."
  []
  (merge (-> (cli/single-test-cmd {:test-fn  raftkv-test
                                   :usage    (cli/test-usage)
                                   :opt-spec test-opt-spec
                                   :opt-fn   validate-concurrency})
             ; Progress lines instead of Jepsen's console log, then the verdict box; exit 0 when
             ; the verdict is the expected one (jepsen.raftkv.runner).
             (assoc-in ["test" :run] (partial runner/run-cmd! raftkv-test)))
         {"explain" explain/command}
         ; Jepsen's test-all parses the options; our run prints a summary table and exits
         ; non-zero unless every run got the verdict it should.
         (-> (cli/test-all-cmd {:tests-fn all-tests
                                :opt-spec test-all-opt-spec
                                :opt-fn   test-all-opt-fn})
             (assoc-in ["test-all" :run]
                       (fn [{:keys [options]}]
                         (System/exit (matrix/exit-status
                                        (matrix/run-all! raftkv-test (matrix/runs options)))))))
         (cli/serve-cmd)))

(defn -main
  [& args]
  (cli/run! (commands) args))
