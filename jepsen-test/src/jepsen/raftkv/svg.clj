(ns jepsen.raftkv.svg
  "A static SVG of one key's history around the operation that cannot be linearized, readable
  without hovering: one lane per process (named with the node it talks to), each operation a bar
  from invocation to completion with its meaning written on it, the impossible operation in red,
  the last consistent one outlined in blue, operations whose outcome is unknown drawn on to the
  right edge (they may take effect at any later time), faults as shaded bands with their names,
  the reason in words at the top, a time axis and a legend below. Pure: a string from data."
  (:require [clojure.string :as str]
            [jepsen.raftkv.progress :as progress]))

(defn esc [s] (-> (str s) (str/replace "&" "&amp;") (str/replace "<" "&lt;") (str/replace ">" "&gt;")))

(def colors {:ok "#2e9b4f", :fail "#a8a8a8", :info "#f0a030", :pending "#f0a030"})

(defn- label
  [{:keys [f value type]}]
  (let [v #(if (= :absent %) "absent" (pr-str %))]
    (str (case f
           :read  (if (= :ok type) (str "r " (v value)) "r ?")
           :write (str "w " (v value))
           :cas   (str "cas " (v (first value)) "→" (v (second value)))
           (name f))
         (case type :fail " ✗" :info " ?" :pending " ?" ""))))

(defn wrap
  "Splits text into lines of at most n characters, at spaces."
  [text n]
  (reduce (fn [lines word]
            (let [l (peek lines)]
              (if (and l (<= (+ (count l) 1 (count word)) n))
                (conj (pop lines) (str l " " word))
                (conj lines word))))
          []
          (str/split (str text) #" ")))

(defn fault-bands
  "[start end text] for each fault, from the nemesis' completed ops (ends nil: held to the end)."
  [nem-ops]
  (let [heal? #{:stop-partition :start :resume}]
    (->> (partition-all 2 1 nem-ops)
         (keep (fn [[a b]]
                 (when-not (heal? (:f a))
                   [(/ (:time a) 1e9) (when b (/ (:time b) 1e9)) (progress/nemesis-state a)]))))))

(defn render
  "The SVG, as a string. a: the analysis (jepsen.raftkv.explain/analyse-key); ps: the key's pairs;
  nem-ops: the nemesis' completed ops; node-of: process -> node."
  [a ps nem-ops node-of]
  (let [failing (:failing a)
        t-fail  (or (:start failing) 0.0)
        related (concat (take-last 3 (:before a)) (:concurrent a) [(:previous-ok a)])
        t-lo    (max 0.0 (- t-fail 6.0)
                     (min (- t-fail 1.0) (reduce min t-fail (keep :start (remove nil? related)))))
        ; no blank space before the key's first operation
        t-lo    (max t-lo (- (reduce min t-fail (keep :start ps)) 0.05))
        t-hi    (+ (or (:end failing) t-fail) 0.5)
        plot-w  1300.0
        pxs     (/ plot-w (max 0.1 (- t-hi t-lo)))
        left    150.0
        x       (fn [t] (+ left (* pxs (- (max t-lo (min t-hi t)) t-lo))))
        shown   (filter #(and (< (:start %) t-hi) (or (nil? (:end %)) (#{:info :pending} (:type %))
                                                       (> (:end %) t-lo)))
                        ps)
        procs   (sort (distinct (map :process shown)))
        head    (wrap (str "Key " (:key a) ": " (:sentence a) ".") 150)
        top     (+ 30 (* 18 (count head)) 30)
        lane-h  46
        lane-y  (zipmap procs (map #(+ top (* lane-h %)) (range)))
        bottom  (+ top (* lane-h (count procs)))
        width   (+ left plot-w 40)
        height  (+ bottom 110)
        out     (StringBuilder.)
        emit    (fn [& xs] (doseq [s xs] (.append out (str s))))
        step    (first (filter #(<= (/ (- t-hi t-lo) %) 14) [0.1 0.2 0.5 1.0 2.0 5.0 10.0]))]
    (emit "<svg xmlns='http://www.w3.org/2000/svg' width='" (long width) "' height='" (long height)
          "' font-family='DejaVu Sans, Arial, sans-serif' font-size='12'>"
          "<rect width='100%' height='100%' fill='white'/>")
    (doseq [[i l] (map-indexed vector head)]
      (emit "<text x='10' y='" (+ 24 (* 18 i)) "' font-size='14' font-weight='" (if (zero? i) "bold" "normal")
            "'>" (esc l) "</text>"))
    ; faults
    (doseq [[s e text] (fault-bands nem-ops)
            :when (and (< s t-hi) (or (nil? e) (> e t-lo)))]
      (let [x1 (x s), x2 (x (or e t-hi))]
        (emit "<rect x='" x1 "' y='" (- top 22) "' width='" (max 2 (- x2 x1)) "' height='" (+ 22 (- bottom top))
              "' fill='#fbe3e3'/><text x='" (+ 4 x1) "' y='" (- top 8) "' fill='#a33'>" (esc text) "</text>")))
    ; lanes
    (doseq [p procs]
      (let [y (lane-y p)]
        (emit "<line x1='" left "' x2='" (+ left plot-w) "' y1='" (+ y 23) "' y2='" (+ y 23)
              "' stroke='#eee'/><text x='8' y='" (+ y 27) "'>process " (esc p) " (" (esc (node-of p)) ")</text>")))
    ; operations, labels in two rows so that short neighbours do not overprint
    (doseq [[p ops] (group-by :process shown)]
      (reduce
        (fn [[end1 end2] op]
          (let [y     (lane-y p)
                x1    (x (:start op))
                open? (#{:info :pending} (:type op))
                x2    (if open? (x t-hi) (max (+ x1 3) (x (:end op))))
                x2s   (if open? (max (+ x1 3) (x (or (:end op) t-hi))) x2)
                fail? (= op failing)
                prev? (= op (:previous-ok a))
                txt   (label op)
                tw    (* 7.2 (count txt))
                row   (cond (>= x1 end1) 1 (>= x1 end2) 2 :else 0)]
            (emit "<rect x='" x1 "' y='" (+ y 16) "' width='" (- x2s x1) "' height='14' fill='"
                  (if fail? "#d62728" (colors (:type op))) "'"
                  (cond fail? " stroke='#700' stroke-width='2'" prev? " stroke='#1f5fbf' stroke-width='3'" :else "")
                  "/>")
            (when (and open? (> x2 x2s))
              (emit "<line x1='" x2s "' x2='" x2 "' y1='" (+ y 23) "' y2='" (+ y 23)
                    "' stroke='#f0a030' stroke-width='3' stroke-dasharray='6,4'/>"))
            (case row
              1 (do (emit "<text x='" x1 "' y='" (+ y 12) "'" (when fail? " fill='#d62728' font-weight='bold'") ">" (esc txt) "</text>")
                    [(+ x1 tw 4) end2])
              2 (do (emit "<text x='" x1 "' y='" (+ y 43) "'" (when fail? " fill='#d62728' font-weight='bold'") ">" (esc txt) "</text>")
                    [end1 (+ x1 tw 4)])
              [end1 end2])))
        [0 0]
        (sort-by :start ops)))
    ; axis
    (doseq [i (range (long (Math/ceil (/ t-lo step))) (inc (long (Math/floor (/ t-hi step)))))]
      (let [t (* i step) xx (x t)]
        (emit "<line x1='" xx "' x2='" xx "' y1='" (- top 22) "' y2='" (+ bottom 6) "' stroke='#ddd'/>"
              "<text x='" xx "' y='" (+ bottom 20) "' text-anchor='middle'>" (format "%.1f s" t) "</text>")))
    (emit "<text x='" (+ left plot-w) "' y='" (+ bottom 36) "' text-anchor='end' fill='#555'>"
          "time since the workload began →</text>")
    ; legend
    (let [ly (+ bottom 62)
          items [["#2e9b4f" "ok"] ["#a8a8a8" "failed (✗: certainly did not happen)"]
                 ["#f0a030" "unknown (?: may take effect at any later time)"]
                 ["#d62728" "cannot be linearized"] [nil "blue outline: last consistent point"]]]
      (reduce (fn [lx [c t]]
                (emit (if c
                        (str "<rect x='" lx "' y='" (- ly 11) "' width='18' height='12' fill='" c "'/>")
                        (str "<rect x='" lx "' y='" (- ly 11) "' width='18' height='12' fill='white' stroke='#1f5fbf' stroke-width='3'/>"))
                      "<text x='" (+ lx 24) "' y='" ly "'>" (esc t) "</text>")
                (+ lx 24 (* 7.2 (count t)) 24))
              10.0 items))
    (emit "</svg>")
    (str out)))
