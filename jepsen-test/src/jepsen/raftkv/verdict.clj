(ns jepsen.raftkv.verdict
  "The verdict box printed at the end of every `lein run test` (and so `make jepsen`): what ran,
  what the checkers said, what they should have said, and whether the two agree. Pure functions
  of the options and the results, so the logic is unit-tested; the exit status follows from it
  (0 when the verdict is the expected one).

  What is expected: without a bug switch, valid. With a bug switch the workload and faults can
  catch, invalid. With a bug switch Jepsen is not known to catch in that setting, either verdict
  (jepsen-test/README.md, \"Bug switches\": the simulator catches those)."
  (:require [clojure.string :as str]))

(def catchable
  "Bug switches Jepsen catches: the workloads that see them, the faults they need (nil: none),
  and why, in words."
  {"stale-read"        {:workloads #{:register}
                        :faults    nil
                        :why       "nodes answer reads from their own state, which can lag the leader's"}
   "ack-before-commit" {:workloads #{:register :set}
                        :faults    #{:partition}
                        :why       "a leader cut off by a partition acknowledges writes that are never committed"}})

(defn expected
  "The verdict a run should get: {:expect :valid|:invalid|:either, :why text}. opts has :workload
  (keyword), :nemesis (set of fault keywords) and :bug (string or nil)."
  [{:keys [workload nemesis bug]}]
  (let [{:keys [workloads faults why]} (get catchable bug)]
    (cond
      (nil? bug)
      {:expect :valid, :why "no bug switch: raftkv must be linearizable and converge"}

      (and (contains? workloads workload)
           (or (nil? faults) (some faults nemesis)))
      {:expect :invalid, :why (str "the " (name workload) " workload catches " bug ": " why)}

      (contains? catchable bug)
      {:expect :either
       :why    (str bug " needs " (str/join "/" (map name (sort faults))) " faults and the "
                    (str/join " or " (map name (sort workloads))) " workload to show; it may not here")}

      :else
      {:expect :either
       :why    (str "Jepsen is not known to catch " bug " (jepsen-test/README.md, Bug switches); the simulator does")})))

(defn judge
  "Compares the checkers' :valid? (true, false, :unknown, or nil for a run that crashed) with the
  expectation. Returns {:agree? bool, :exit int, :line text}."
  [expect valid]
  (cond
    (= :unknown valid)
    {:agree? false, :exit 2
     :line   "UNKNOWN: a checker could not decide (often Knossos out of time or memory; fewer --ops-per-key helps)"}

    (and (false? valid) (#{:invalid :either} expect))
    {:agree? true, :exit 0, :line "PASS: the checker caught the bug"}

    (and (true? valid) (= :valid expect))
    {:agree? true, :exit 0, :line "PASS: valid, as a correct Raft must be"}

    (and (true? valid) (= :either expect))
    {:agree? true, :exit 0, :line "PASS: valid; this bug switch is not expected to show in this run"}

    (true? valid)
    {:agree? false, :exit 1
     :line   "WRONG: the bug switch was on, but the checkers saw nothing (a longer --time-limit, or --partitions primaries, gives it more chances)"}

    (false? valid)
    {:agree? false, :exit 1
     :line   "WRONG: invalid without a bug switch: raftkv (or the test) is broken; start with make explain"}

    :else
    {:agree? false, :exit 255, :line "CRASHED: the run ended without a verdict (see the log in the store)"}))

(defn failures
  "The checkers' complaints, each one short line: keys Knossos could not linearize, nodes that did
  not converge, lost adds, and any other checker that is not valid."
  [results]
  (let [wl      (:workload results)
        linear  (:linear wl)
        conv    (:convergence wl)
        setr    (:set wl)
        handled #{:linear :convergence :set}]
    (concat
      (when (seq (:failures linear))
        [(str "Knossos: no linearizable order for key" (when (next (:failures linear)) "s") " "
              (str/join ", " (sort (:failures linear))))])
      (when (false? (:valid? conv))
        [(str "convergence: "
              (cond (seq (:divergent conv))
                    (str (str/join ", " (keys (:divergent conv))) " differ from " (:reference-node conv)
                         " on key" (when (next (distinct (mapcat keys (vals (:divergent conv))))) "s") " "
                         (str/join ", " (take 8 (distinct (mapcat keys (vals (:divergent conv)))))))
                    (seq (:unread-nodes conv))
                    (str "no final read from " (str/join ", " (:unread-nodes conv)))
                    (seq (:unexpected-values conv))
                    (str "values no one wrote on keys " (str/join ", " (take 8 (keys (:unexpected-values conv)))))
                    :else (or (:error conv) "the nodes' maps differ")))])
      (when (false? (:valid? setr))
        [(str "set-full: " (or (:lost-count setr) 0) " acknowledged adds lost"
              (when (pos? (or (:stale-count setr) 0)) (str ", " (:stale-count setr) " stale reads")))])
      (for [[k r] (sort-by key (dissoc wl :valid?))
            :when (and (not (handled k)) (map? r) (false? (:valid? r)))]
        (str (name k) ": not valid"))
      (for [[k r] (sort-by key (dissoc results :workload :valid?))
            :when (and (map? r) (false? (:valid? r)))]
        (str (name k) ": not valid")))))

(defn verdict-word
  [valid]
  (case valid
    true     "VALID"
    false    "INVALID"
    :unknown "UNKNOWN"
    "NONE (crashed)"))

(defn expect-word
  [expect]
  (case expect :valid "valid" :invalid "invalid" :either "valid or invalid"))

(defn membership-line
  "The membership changes of a run with the member nemesis (membership/change-summary), in words."
  [{:keys [changes grown shrunk attempts]}]
  (format "%d changes committed (%d grown to voter, %d removed; %d attempts)"
          changes grown shrunk attempts))

(defn box
  "The verdict box, as lines. run: {:workload :nemesis-name :bug :results :store :report-url
  :elapsed-s :membership (with the member nemesis: membership/change-summary)}."
  [{:keys [workload nemesis-name bug results store report-url elapsed-s membership] :as run}]
  (let [{:keys [expect why]} (expected run)
        valid    (:valid? results)
        j        (judge expect valid)
        stats    (:stats results)
        fails    (failures results)
        row      (fn [k v] (format "  %-11s %s" k v))
        body     (concat
                   [(row "workload" (name workload))
                    (row "nemesis" nemesis-name)
                    (row "bug switch" (or bug "none"))
                    (row "ops" (if stats
                                 (format "%d completed: %d ok, %d fail, %d info%s" (:count stats 0)
                                         (:ok-count stats 0) (:fail-count stats 0) (:info-count stats 0)
                                         (if elapsed-s (format " (run took %d s)" (long elapsed-s)) ""))
                                 "-"))]
                   (when membership [(row "membership" (membership-line membership))])
                   [(row "verdict" (verdict-word valid))
                    (row "expected" (str (expect-word expect) " (" why ")"))
                    ""
                    (str "  " (:line j))
                    ""]
                   (if (seq fails)
                     (cons (row "failing" (first fails)) (map #(row "" %) (rest fails)))
                     [(row "failing" "nothing")])
                   [(row "store" (or store "-"))
                    (row "report" (or report-url "-"))]
                   (when (false? valid)
                     [(row "next" "make explain   (lein run explain -t -1: what went wrong, per key, in words)")]))
        ; long rows wrap under their value, so that the box stays about 100 columns wide
        body     (mapcat (fn [l]
                           (if (or (<= (count l) 100) (not (str/includes? (str/trim (subs l 14)) " ")))
                             [l]
                             (let [words (str/split l #" ")]
                               (reduce (fn [ls w]
                                         (if (<= (+ (count (peek ls)) 1 (count w)) 100)
                                           (conj (pop ls) (str (peek ls) " " w))
                                           (conj ls (str (apply str (repeat 14 " ")) w))))
                                       [(first words)] (rest words)))))
                         body)
        width    (apply max 60 (map count body))
        rule     (apply str (repeat (+ 2 width) "="))]
    {:exit  (:exit j)
     :lines (concat [rule (str "  JEPSEN VERDICT") rule] body [rule])}))
