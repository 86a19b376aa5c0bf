(ns jepsen.raftkv.matrix
  "`lein run test-all`: a matrix of runs, each with the verdict it must get, and a summary table.

  Runs without a bug must be valid. With --with-bugs, runs with a bug switch under the nemesis
  that exposes it are added, and those must be invalid: proof that the checkers can fail. The
  command exits 0 only if every run got the verdict it should (a crashed or :unknown run counts
  as wrong)."
  (:require [clojure.string :as str]
            [clojure.tools.logging :refer [info warn]]
            [jepsen [core :as jepsen]
                    [store :as store]]
            [jepsen.raftkv.nemesis :as nemesis]))

(def workloads
  "What test-all runs by default."
  [:register :set])

(def nemeses
  "The fault combinations test-all runs by default."
  [#{}
   #{:partition}
   #{:kill}
   #{:pause}
   #{:partition :kill :pause}])

(def bug-runs
  "With --with-bugs: bug switches that Jepsen catches, each with the workload and faults that
  expose it. Each partition isolates the leader (:primaries): both bugs show only on a leader
  that has lost its majority, and with random partition shapes a 60 s run sometimes never
  isolated it (the set run once stayed valid). commit-previous-term and forget-vote are not
  here: see jepsen-test/README.md (the simulator's BugDetectionTest catches them)."
  [{:workload :register, :nemesis #{:partition}, :partitions [:primaries], :bug "ack-before-commit"}
   {:workload :set,      :nemesis #{:partition}, :partitions [:primaries], :bug "ack-before-commit"}
   {:workload :register, :nemesis #{:partition}, :partitions [:primaries], :bug "stale-read"}])

(defn runs
  "The matrix as run specs {:opts .., :expect :valid|:invalid}. --workload and --nemesis narrow the
  matrix to one workload or one fault set; --with-bugs appends bug-runs; --test-count repeats
  every run."
  [opts]
  (let [ws      (if-let [w (:workload opts)] [w] workloads)
        ns      (if (contains? opts :nemesis) [(:nemesis opts)] nemeses)
        ; With --bug, the whole matrix runs with that bug and every run must be invalid.
        clean   (for [n ns, w ws]
                  {:opts (assoc opts :workload w, :nemesis n)
                   :expect (if (:bug opts) :invalid :valid)})
        bugged  (when (:with-bugs opts)
                  (for [b bug-runs]
                    {:opts (merge opts b), :expect :invalid}))]
    (for [run (concat clean bugged), _ (range (:test-count opts 1))]
      run)))

(defn outcome
  "Did a run get the verdict it should? valid is the checker's :valid? (true, false, :unknown)
  or :crashed."
  [expect valid]
  (case expect
    :valid   (true? valid)
    :invalid (false? valid)))

(defn summary-row
  "One row of the summary, from a run spec and the finished test (or nil if it crashed)."
  [{:keys [opts expect]} test]
  (let [results (:results test)
        stats   (:stats results)
        valid   (if test (:valid? results) :crashed)]
    {:workload (name (:workload opts))
     :nemesis  (nemesis/nemesis-name (:nemesis opts))
     :bug      (or (:bug opts) "-")
     :expect   (name expect)
     :valid?   valid
     :ok       (:ok-count stats)
     :info     (:info-count stats)
     :fail     (:fail-count stats)
     :pass?    (outcome expect valid)
     :store    (when (:start-time test) (.getPath (store/path test)))}))

(def columns [:workload :nemesis :bug :expect :valid? :ok :info :fail :pass? :store])

(defn table
  "The rows as a fixed-width text table."
  [rows]
  (let [cell   (fn [row col] (let [v (get row col)]
                               (cond (= col :pass?) (if v "PASS" "WRONG")
                                     (nil? v)        "-"
                                     (keyword? v)    (name v)
                                     :else           (str v))))
        widths (map (fn [col] (apply max (count (name col)) (map #(count (cell % col)) rows)))
                    columns)
        line   (fn [cells] (str/trimr (str/join "  " (map #(format (str "%-" %1 "s") %2) widths cells))))]
    (str/join "\n" (concat [(line (map name columns))
                            (line (map #(apply str (repeat % "-")) widths))]
                           (map (fn [row] (line (map #(cell row %) columns))) rows)))))

(defn run-all!
  "Runs every run spec in turn with (test-fn opts) and jepsen/run!, prints the summary table, and
  returns the rows."
  [test-fn specs]
  (let [rows (doall
               (for [spec specs]
                 (let [test (try
                              (jepsen/run! (test-fn (:opts spec)))
                              (catch Exception e
                                (warn e "Test crashed")
                                nil))
                       row  (summary-row spec test)]
                   (info "test-all:" (:workload row) (:nemesis row) (:bug row)
                         "valid?" (:valid? row) (if (:pass? row) "as expected" "NOT AS EXPECTED"))
                   row)))]
    (println)
    (println "# test-all summary")
    (println)
    (println (table rows))
    (println)
    (println (count (filter :pass? rows)) "of" (count rows) "runs got the expected verdict")
    rows))

(defn exit-status
  "0 if every run got the verdict it should, else 1."
  [rows]
  (if (every? :pass? rows) 0 1))
