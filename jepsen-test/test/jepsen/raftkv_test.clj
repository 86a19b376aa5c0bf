(ns jepsen.raftkv-test
  "Command-line parsing (exactly as `lein run test ...` parses it, minus System/exit), the test
  map and test matrix, the nemesis spec, and the node's command line."
  (:require [clojure.test :refer [deftest is are testing]]
            [clojure.tools.cli :as tools.cli]
            [jepsen.cli :as jcli]
            [jepsen.generator :as gen]
            [jepsen.raftkv :as raftkv]
            [jepsen.raftkv [db :as db]
                           [matrix :as matrix]
                           [nemesis :as nemesis]]))

(defn parse
  "Parses args like the `test` subcommand does. Returns {:options .. :errors ..}."
  [args]
  (let [{:keys [opt-spec opt-fn]} (get (raftkv/commands) "test")]
    (-> args (tools.cli/parse-opts opt-spec) opt-fn)))

(defn parse-all
  [args]
  (let [{:keys [opt-spec opt-fn]} (get (raftkv/commands) "test-all")]
    (-> args (tools.cli/parse-opts opt-spec) opt-fn)))

(deftest defaults
  (let [{:keys [options errors]} (parse [])]
    (is (empty? errors))
    (is (= ["n1" "n2" "n3" "n4" "n5"] (:nodes options)))
    (is (= 10 (:concurrency options)))
    (is (= 60 (:time-limit options)))
    (is (== 100 (:rate options)))
    (is (= #{} (:nemesis options)))
    (is (= :register (:workload options)))
    (is (= :competition (:algorithm options)))
    (is (nil? (:bug options)))
    (is (== 10 (:nemesis-interval options)))
    (is (= 10 (:quiet-period options)))
    (is (= 5 (:threads-per-key options)))
    (is (= "../java-node/server/target/raftkv-node.jar" (:jar options)))
    (is (= "-Xmx512m -XX:+ExitOnOutOfMemoryError" (:node-java-opts options)))))

(deftest cluster-token
  (testing "without the option, a random token per run"
    (let [a (:cluster-token (:options (parse [])))
          b (:cluster-token (:options (parse [])))]
      (is (re-matches #"[0-9a-f]{48}" a))
      (is (not= a b))))
  (testing "the one given, e.g. by docker/cluster.sh"
    (is (= "s3cret" (:cluster-token (:options (parse ["--cluster-token" "s3cret"])))))
    (is (= "s3cret" (:cluster-token (:options (parse-all ["--cluster-token" "s3cret"])))))))

(deftest the-documented-command-line
  (let [{:keys [options errors]}
        (parse ["--nodes" "n1,n2,n3,n4,n5" "--time-limit" "60" "--rate" "100"
                "--concurrency" "10" "--nemesis" "partition" "--bug" "stale-read"
                "--jar" "/tmp/x.jar" "--algorithm" "wgl" "--nemesis-interval" "5"])]
    (is (empty? errors))
    (is (= ["n1" "n2" "n3" "n4" "n5"] (:nodes options)))
    (is (= #{:partition} (:nemesis options)))
    (is (= "stale-read" (:bug options)))
    (is (= "/tmp/x.jar" (:jar options)))
    (is (= :wgl (:algorithm options)))
    (is (= 5.0 (:nemesis-interval options)))))

(deftest nemesis-specs
  (are [spec faults] (= faults (nemesis/parse-nemesis-spec spec))
    "none"                #{}
    "partition"           #{:partition}
    "kill"                #{:kill}
    "pause"               #{:pause}
    "member"              #{:member}
    "all"                 #{:partition :kill :pause :member}
    "mixed"               #{:partition :kill :pause :member}
    "member,partition,kill" #{:member :partition :kill}
    "partition,kill"      #{:partition :kill}
    " pause , partition " #{:partition :pause}
    "none,kill"           #{:kill}
    "all,kill"            #{:partition :kill :pause :member})
  (doseq [bad ["", "clock", "partition,bogus", "packet", ","]]
    (is (thrown? IllegalArgumentException (nemesis/parse-nemesis-spec bad)) bad))
  (testing "through the command line"
    (is (= #{:partition :pause} (:nemesis (:options (parse ["--nemesis" "partition,pause"]))))))
  (testing "an unknown fault is a command-line error"
    (is (seq (:errors (parse ["--nemesis" "clock"]))))
    (is (re-find #"unknown fault" (first (:errors (parse ["--nemesis" "clock"])))))))

(deftest nemesis-names
  (is (= "none" (nemesis/nemesis-name #{})))
  (is (= "kill,partition,pause" (nemesis/nemesis-name #{:partition :kill :pause}))))

(deftest bugs
  (doseq [b ["stale-read" "commit-previous-term" "forget-vote" "ack-before-commit"]]
    (let [{:keys [options errors]} (parse ["--bug" b])]
      (is (empty? errors))
      (is (= b (:bug options)))))
  (let [{:keys [errors]} (parse ["--bug" "stale-reads"])]
    (is (= 1 (count errors)))
    (is (re-find #"unknown bug" (first errors)))))

(deftest bad-options
  (are [args] (seq (:errors (parse args)))
    ["--rate" "0"]
    ["--rate" "fast"]
    ["--algorithm" "magic"]
    ["--workload" "queue"]
    ["--ops-per-key" "-1"]
    ["--time-limit" "0"]
    ["--nemesis-interval" "0"]
    ["--quiet-period" "-1"]
    ["--nemesis-targets" "majority"]
    ["--partitions" "leader"]
    ["--partitions" "one,nobody"]
    ["--set-read-interval" "0"]
    ["--no-such-option"]))

(deftest concurrency
  (testing "must be whole groups of threads-per-key"
    (is (empty? (:errors (parse ["--concurrency" "15"]))))
    (is (= 10 (:concurrency (:options (parse ["--concurrency" "2n"])))))
    (is (seq (:errors (parse ["--concurrency" "7"]))))
    (is (seq (:errors (parse ["--concurrency" "3"]))))
    (is (empty? (:errors (parse ["--concurrency" "6" "--threads-per-key" "3"]))))))

(deftest test-map
  (let [t (raftkv/raftkv-test (:options (parse ["--nemesis" "all" "--bug" "ack-before-commit"])))]
    (is (= "raftkv-register-kill,member,partition,pause-bug-ack-before-commit" (:name t)))
    (is (= "ack-before-commit" (:bug t)))
    (is (some? (:generator t)))
    (is (some? (:nemesis t)))
    (is (some? (:checker t)))
    (is (instance? jepsen.raftkv.db.DB (:db t))))
  (is (= "raftkv-register-none" (:name (raftkv/raftkv-test (:options (parse [])))))))

(deftest test-all-matrix
  (testing "without --nemesis: every workload under every fault combination, all must be valid"
    (let [{:keys [options errors]} (parse-all [])
          runs  (matrix/runs options)
          tests (raftkv/all-tests options)]
      (is (empty? errors))
      (is (= (* 2 (count matrix/nemeses)) (count tests)))
      (is (= (set (for [w ["register" "set"]
                        n ["none" "partition" "kill" "pause" "kill,partition,pause"]]
                    (str "raftkv-" w "-" n)))
             (set (map :name tests))))
      (is (every? #{:valid} (map :expect runs)))))
  (testing "with --nemesis, --workload and --test-count"
    (let [{:keys [options]} (parse-all ["--nemesis" "kill" "--workload" "register" "--test-count" "2"])]
      (is (= ["raftkv-register-kill" "raftkv-register-kill"]
             (map :name (raftkv/all-tests options))))))
  (testing "--with-bugs appends the bug runs, which must be invalid"
    (let [{:keys [options errors]} (parse-all ["--nemesis" "none" "--with-bugs"])
          runs (matrix/runs options)]
      (is (empty? errors))
      (is (= (+ 2 (count matrix/bug-runs)) (count runs)))
      (is (= [:valid :valid] (map :expect (take 2 runs))))
      (is (every? #{:invalid} (map :expect (drop 2 runs))))
      (is (= "raftkv-register-partition-bug-ack-before-commit"
             (:name (raftkv/raftkv-test (:opts (nth runs 2))))))
      (is (every? #{[:primaries]} (map (comp :partitions :opts) (drop 2 runs)))
          "every bug run isolates the leader, where both bugs show")))
  (testing "--bug: every run carries the bug and must be invalid"
    (let [{:keys [options]} (parse-all ["--nemesis" "partition" "--bug" "stale-read"])]
      (is (every? #{:invalid} (map :expect (matrix/runs options))))
      (is (every? #{"stale-read"} (map (comp :bug :opts) (matrix/runs options)))))))

(deftest test-all-verdicts
  (testing "a run passes only with the verdict it should get; crashed and unknown never pass"
    (is (true?  (matrix/outcome :valid true)))
    (is (false? (matrix/outcome :valid false)))
    (is (false? (matrix/outcome :valid :unknown)))
    (is (false? (matrix/outcome :valid :crashed)))
    (is (true?  (matrix/outcome :invalid false)))
    (is (false? (matrix/outcome :invalid true)))
    (is (false? (matrix/outcome :invalid :crashed))))
  (let [spec  {:opts {:workload :set, :nemesis #{:kill}}, :expect :valid}
        test  {:results {:valid? true, :stats {:ok-count 4000, :info-count 3, :fail-count 20}}}
        row   (matrix/summary-row spec test)
        bad   (matrix/summary-row (assoc spec :expect :invalid) test)
        crash (matrix/summary-row spec nil)]
    (is (= {:workload "set", :nemesis "kill", :bug "-", :expect "valid", :valid? true
            :ok 4000, :info 3, :fail 20, :pass? true}
           (dissoc row :store)))
    (is (false? (:pass? bad)))
    (is (= :crashed (:valid? crash)))
    (is (false? (:pass? crash)))
    (testing "exit status: 0 only if every run passed"
      (is (= 0 (matrix/exit-status [row])))
      (is (= 1 (matrix/exit-status [row bad])))
      (is (= 1 (matrix/exit-status [row crash]))))
    (testing "the table: a header, a rule, one line per run, PASS or WRONG"
      (let [lines (clojure.string/split-lines (matrix/table [row bad]))]
        (is (= 4 (count lines)))
        (is (re-find #"^workload\s+nemesis\s+bug\s+expect\s+valid\?\s+ok\s+info\s+fail" (first lines)))
        (is (re-find #"set\s+kill\s+-\s+valid\s+true\s+4000\s+3\s+20\s+PASS" (nth lines 2)))
        (is (re-find #"WRONG" (nth lines 3)))))))

(deftest node-command-line
  (let [test {:nodes ["n1" "n2" "n3"]}]
    (is (= ["-Xmx256m" "-XX:+UseSerialGC" "-jar" "/opt/raftkv/raftkv-node.jar"]
           (take 4 (db/node-args (assoc test :node-java-opts " -Xmx256m  -XX:+UseSerialGC") "n1"))))
    (is (= ["-jar" "/opt/raftkv/raftkv-node.jar" "--id" "n2" "--listen" "0.0.0.0:8080"
            "--peers" "n1=http://n1:8080,n2=http://n2:8080,n3=http://n3:8080"
            "--listen-peers" "0.0.0.0:8081" "--peer-urls" "n1=http://n1:8081,n2=http://n2:8081,n3=http://n3:8081"
            "--data-dir" "/opt/raftkv/data" "--request-timeout-ms" "2000"]
           (db/node-args test "n2")))
    (is (= ["--request-timeout-ms" "4500"]
           (take-last 2 (db/node-args (assoc test :request-timeout-ms 5000) "n2"))))
    (is (= ["--bug" "stale-read"] (take-last 2 (db/node-args (assoc test :bug "stale-read") "n1"))))
    (is (= ["--cluster-token" "t0k"] (take-last 2 (db/node-args (assoc test :cluster-token "t0k") "n1"))))
    (is (= ["--max-inflight-requests" "8"]
           (take-last 2 (db/node-args (assoc test :max-inflight-requests 8) "n1"))))
    (is (= ["--max-waiting-requests" "0"]
           (take-last 2 (db/node-args (assoc test :max-waiting-requests 0) "n1"))))
    (is (= ["--snapshot-entries" "20" "--snapshot-trailing-entries" "0"]
           (take-last 4 (db/node-args (assoc test :snapshot-entries 20) "n1"))))
    (is (= ["--snapshot-entries" "20" "--snapshot-trailing-entries" "5"]
           (take-last 4 (db/node-args (assoc test :snapshot-entries 20 :snapshot-trailing-entries 5) "n1"))))))

(deftest nemesis-package
  (testing "no faults: a nemesis that does nothing, and no generators"
    (let [p (nemesis/nemesis-package (db/db) {:nodes ["n1"] :nemesis #{}})]
      (is (nil? (:generator p)))
      (is (nil? (:final-generator p)))))
  (testing "all faults: generators, and final generators that heal"
    (let [p (nemesis/nemesis-package (db/db) {:nodes ["n1" "n2" "n3"]
                                             :nemesis #{:partition :kill :pause}
                                             :nemesis-interval 5})]
      (is (some? (:generator p)))
      (is (= #{"partition" "kill" "pause"} (set (map :name (:perf p)))))
      (is (= #{:stop-partition :resume :start}
             (->> (:final-generator p) flatten (map :f) set)))))
  (testing "kill only"
    (let [p (nemesis/nemesis-package (db/db) {:nodes ["n1" "n2" "n3"] :nemesis #{:kill}})]
      (is (= #{:start} (->> (:final-generator p) flatten (map :f) set)))))
  (testing "with member: its final op (settle and record the membership) comes after the heals"
    (let [p (nemesis/nemesis-package (db/db) {:nodes ["n1" "n2" "n3"] :nemesis #{:kill :partition :member}})]
      (is (= [:stop-partition :start :member] (->> (:final-generator p) flatten (map :f))))
      (is (= :final (:value (last (flatten (:final-generator p)))))))))

(defn schedule-ops
  "The first n fault episodes of a schedule, as [gap start hold stop] (sleeps as seconds, ops as
  maps; a bridge's generator as :bridge)."
  [faults scope interval n]
  (->> (nemesis/schedule (nemesis/menu faults scope) interval)
       (take (* 4 n))
       (map (fn [x] (cond (= :sleep (:type x)) (:value x)
                          (= :info (:type x))   x
                          :else                 :bridge)))
       (partition 4)))

(deftest schedule
  (testing "one fault at a time: gap, fault, hold, heal, each sleep within [interval/2, interval]"
    (doseq [[gap start hold stop] (schedule-ops #{:partition :kill :pause} :minority 10 300)]
      (is (<= 5 gap 10))
      (is (<= 5 hold 10))
      (if (= :bridge start)
        (is (= :stop-partition (:f stop)))
        (is (= ({:start-partition :stop-partition, :kill :start, :pause :resume} (:f start))
               (:f stop))))))
  (testing "minority scope: no fault takes away a majority"
    (let [starts (map second (schedule-ops #{:kill :pause} :minority 1 300))]
      (is (= #{:one :primaries :minority} (set (map :value starts))))))
  (testing "any scope: kills and pauses may also hit a majority or all nodes"
    (let [starts (map second (schedule-ops #{:kill} :any 1 300))]
      (is (= #{:one :primaries :minority :majority :all} (set (map :value starts))))))
  (testing "every partition target comes up, and none is a clean majority cut-off of everyone"
    (let [starts (map second (schedule-ops #{:partition} :minority 1 300))]
      (is (= #{:one :majority :primaries :majorities-ring :bridge}
             (set (map #(if (map? %) (:value %) %) starts))))))
  (testing "--partitions narrows the shapes: primaries alone isolates the leader every time"
    (let [opts  (:options (parse ["--nemesis" "partition" "--partitions" "primaries"]))
          ops   (->> (nemesis/schedule (nemesis/menu #{:partition} :minority (:partitions opts)) 1)
                     (take 400)
                     (filter #(= :start-partition (:f %))))]
      (is (= [:primaries] (:partitions opts)))
      (is (< 50 (count ops)))
      (is (= #{:primaries} (set (map :value ops))))))
  (testing "--partitions all (the default) keeps every shape"
    (is (= nemesis/partition-targets (:partitions (:options (parse ["--partitions" "all"])))))
    (is (= nemesis/partition-targets (:partitions (:options (parse []))))))
  (testing "the kinds of fault listed, and only those"
    (is (= #{:pause} (set (map (comp :f second) (schedule-ops #{:pause} :minority 1 50))))))
  (testing "no faults: no schedule"
    (is (nil? (nemesis/schedule (nemesis/menu #{} :minority) 10)))))

(deftest bridge-partition
  (let [gen   (nemesis/partition-start :bridge)
        nodes ["n1" "n2" "n3" "n4" "n5"]
        test  {:nodes nodes, :concurrency 1}
        op    (first (gen/op gen test (gen/context test)))
        grudge (:value op)]
    (is (= :start-partition (:f op)))
    (testing "the bridge node hears everyone and is heard by everyone"
      (let [bridge (first (remove (set (keys grudge)) nodes))]
        (is (some? bridge))
        (is (= 4 (count grudge)))
        (is (not-any? #(contains? % bridge) (vals grudge)))))))

(deftest current-leaders
  (testing "the leader with the highest term; a deposed leader in an older term is ignored"
    (is (= ["n3"] (db/current-leaders [["n1" {"role" "leader", "term" 4}]
                                       ["n2" nil]
                                       ["n3" {"role" "leader", "term" 6}]
                                       ["n4" {"role" "follower", "term" 6}]]))))
  (is (= [] (db/current-leaders [["n1" {"role" "candidate", "term" 2}] ["n2" nil]])))
  (is (= [] (db/current-leaders [])))
  (is (= ["n2"] (db/current-leaders [["n2" {"role" "LEADER", "term" 1}]]))))
