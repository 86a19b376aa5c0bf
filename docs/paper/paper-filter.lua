-- The paper's own filter, run before citeproc for the PDF, the talk and the character count:
--
-- 1. Labelled cross-references. `@tbl:x`, `@fig:x`, `@sec:x`, `@app:x` become \ref{x...} (in the
--    plain text of the count: "1"), `@auto:x` becomes \autoref (prints "Tabelle 3"/"Abbildung 3").
--    A Div with an id (`::: {#tbl:compare}`) puts \label{id} into the caption of the first table or
--    figure inside it; if it holds a missing-measurement placeholder instead, the placeholder gets a
--    caption of the same kind, so the counter advances and no later number changes.
-- 2. Numbers quoted from measured tables. `[5,2]{.zahl t=bench z="(a) Ping" s="Java / Go"}` takes
--    the cell of table `t` (build/gen/<t>.md) in the row whose first cell contains `z` and the column
--    whose header contains `s` (optional: `n=2` the second number in the cell, `durch="row"` divided
--    by the same column of another row, `mal=100`, `d=1` decimals). The PDF prints the measured
--    value; the typed one is only for the reader of the source. `build.sh check` fails when the
--    typed value is more than 20 % off. A span with `w=2.5` keeps its words ("das Zweieinhalbfache")
--    and fails the build itself when the measurement is more than 20 % from w.
--    With the table missing, the span prints "[fehlt]".
-- 3. The missing-measurement box and the listing captions (formerly missing-filter.lua).
local GEN = os.getenv("PAPER_GEN") or "docs/paper/build/gen"
local MODE = os.getenv("PAPER_FILTER_MODE") or "paper" -- paper | check
local TOLERANCE = 0.20
local latex = FORMAT:match("latex") or FORMAT:match("beamer")

local function num(s) -- German number text -> Lua number ("1.361" = 1361, "3,82" = 3.82)
  if not s then return nil end
  s = s:gsub("%.", ""):gsub(",", ".")
  return tonumber(s)
end

local function fmt(v, d) -- Lua number -> German text
  local s = string.format("%." .. d .. "f", v)
  local int, frac = s:match("^(-?%d+)%.?(%d*)$")
  int = int:reverse():gsub("(%d%d%d)", "%1."):reverse():gsub("^(-?)%.", "%1")
  return frac ~= "" and (int .. "," .. frac) or int
end

local tables = {}
local function load_table(name)
  if tables[name] ~= nil then return tables[name] end
  tables[name] = false
  local f = io.open(GEN .. "/" .. name .. ".md", "r")
  if not f then return false end
  local text = f:read("a"); f:close()
  local doc = pandoc.read(text, "markdown")
  for _, b in ipairs(doc.blocks) do
    if b.t == "Table" then
      local t = { head = {}, rows = {} }
      for _, c in ipairs(b.head.rows[1].cells) do table.insert(t.head, pandoc.utils.stringify(c.contents)) end
      for _, body in ipairs(b.bodies) do
        for _, r in ipairs(body.body) do
          local row = {}
          for _, c in ipairs(r.cells) do table.insert(row, pandoc.utils.stringify(c.contents)) end
          table.insert(t.rows, row)
        end
      end
      tables[name] = t
      return t
    end
  end
  return false
end

local function cell(t, z, s, n, where)
  local col
  for i, h in ipairs(t.head) do if h:find(s, 1, true) then col = i; break end end
  if not col then error(where .. ": no column containing '" .. s .. "'") end
  for _, row in ipairs(t.rows) do
    if row[1]:find(z, 1, true) then
      local k = 0
      for token in row[col]:gmatch("%d[%d%.,]*") do
        k = k + 1
        if k == n then
          local v = num(token:gsub("[%.,]$", ""))
          if v then return v end
        end
      end
      error(where .. ": no number " .. n .. " in cell '" .. row[col] .. "'")
    end
  end
  error(where .. ": no row containing '" .. z .. "'")
end

local problems = {}  -- fatal in every mode
local misses = {}    -- a row or column the table does not have: fatal in check mode, a warning otherwise
local function zahl(el)
  local a = el.attributes
  local where = "zahl [" .. pandoc.utils.stringify(el.content) .. "] (t=" .. (a.t or "?") .. ", z=" .. (a.z or "?") .. ")"
  local t = load_table(a.t or "")
  if not t then return pandoc.Emph(pandoc.Str("[fehlt]")) end
  local n = tonumber(a.n or "1")
  local ok, v = pcall(function()
    local x = cell(t, a.z, a.s, n, where)
    if a.durch then x = x / cell(t, a.durch, a.s, n, where) end
    return x
  end)
  if not ok then
    table.insert(misses, tostring(v))
    return pandoc.Strong(pandoc.Str("[Zeile fehlt]"))
  end
  if a.mal then v = v * tonumber(a.mal) end
  if a.w then
    local w = tonumber(a.w)
    if math.abs(w - v) > TOLERANCE * math.abs(v) then
      table.insert(problems, where .. ": the words mean " .. w .. ", the table says " .. v)
    end
    return el.content
  end
  local typed = num(pandoc.utils.stringify(el.content):match("%d[%d%.,]*"))
  if MODE == "check" and typed and math.abs(typed - v) > TOLERANCE * math.abs(v) then
    table.insert(problems, where .. ": the text says " .. typed .. ", the table says " .. fmt(v, 2))
  end
  local d = tonumber(a.d or (v >= 100 and "0" or (v >= 10 and "1" or "2")))
  return pandoc.Str(fmt(v, d))
end

local function label_in_caption(blocks, id)
  for i, b in ipairs(blocks) do
    if b.t == "Table" then
      local raw = pandoc.RawInline("latex", "\\label{" .. id .. "}")
      if #b.caption.long == 0 then b.caption.long = { pandoc.Plain({}) } end
      table.insert(b.caption.long[#b.caption.long].content, raw)
      return true
    end
    if (b.t == "Para" or b.t == "Plain") and #b.content == 1 and b.content[1].t == "Image" then
      b.content[1].identifier = id
      return true
    end
  end
  return false
end

local function missing_box(el, kind, id)
  local what = el.attributes.what or "Messung"
  local out = { pandoc.RawBlock("latex", "\\begin{missingbox}") }
  for _, b in ipairs(el.content) do table.insert(out, b) end
  if kind then
    table.insert(out, pandoc.RawBlock("latex", "\\captionof{" .. kind .. "}{" .. what .. " (Platzhalter)}" ..
      (id and ("\\label{" .. id .. "}") or "")))
  end
  table.insert(out, pandoc.RawBlock("latex", "\\end{missingbox}"))
  return out
end

local function kind_of(id)
  if not id then return nil end
  if id:match("^tbl:") then return "table" end
  if id:match("^fig:") then return "figure" end
  return nil
end

return {
  { Span = function(el) if el.classes:includes("zahl") then return zahl(el) end end },
  {
    Div = function(el)
      if el.identifier == "" or not kind_of(el.identifier) then return nil end
      local id = el.identifier
      if label_in_caption(el.content, id) then el.identifier = ""; return el end
      for i, b in ipairs(el.content) do
        if b.t == "Div" and b.classes:includes("missing") then
          if not latex then return el.content end
          local out = {}
          for j = 1, i - 1 do table.insert(out, el.content[j]) end
          for _, x in ipairs(missing_box(b, kind_of(id), id)) do table.insert(out, x) end
          return out
        end
      end
    end,
  },
  {
    -- a listing never breaks across a page (none is longer than ~20 lines)
    CodeBlock = function(el)
      if FORMAT:match("latex") then
        return { pandoc.RawBlock("latex", "\\par\\noindent\\begin{minipage}{\\linewidth}"), el,
                 pandoc.RawBlock("latex", "\\end{minipage}\\par") }
      end
    end,
    Div = function(el)
      if el.classes:includes("missing") and latex then return missing_box(el, nil, nil) end
      if el.classes:includes("listing") and latex then
        return { pandoc.RawBlock("latex", "{\\footnotesize\\itshape") } .. el.content .. { pandoc.RawBlock("latex", "\\par}") }
      end
    end,
    Cite = function(el)
      local c = el.citations[1]
      local kind, id = c.id:match("^(%a+):(.+)$")
      if not kind then return nil end
      if kind == "tbl" or kind == "fig" or kind == "sec" or kind == "app" or kind == "auto" then
        local target = kind == "auto" and id or c.id
        if latex then
          return pandoc.RawInline("latex", (kind == "auto" and "\\autoref{" or "\\ref{") .. target .. "}")
        end
        return pandoc.Str(kind == "auto" and "Abbildung 1" or "1")
      end
    end,
    Pandoc = function(doc)
      if #misses > 0 then
        io.stderr:write("paper: " .. (MODE == "check" and "ERROR" or "WARNING") .. ": quoted numbers whose row or column the table lacks:\n")
        for _, p in ipairs(misses) do io.stderr:write("  " .. p .. "\n") end
        if MODE == "check" then error("adapt the [..]{.zahl} spans to the table's row labels and columns") end
      end
      if #problems > 0 then
        io.stderr:write("paper: numbers in the text disagree with the measured tables (more than 20 %):\n")
        for _, p in ipairs(problems) do io.stderr:write("  " .. p .. "\n") end
        error("fix the text (the number or the words around it), then build again")
      end
    end,
  },
}
