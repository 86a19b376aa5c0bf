-- Counting filter for `docs/paper/build.sh count`: the body without code listings, their captions,
-- tables and figures (the bibliography is a separate file and never reaches this filter).
function CodeBlock(el) return {} end
function Table(el) return {} end
function Div(el)
  if el.classes:includes("listing") or el.classes:includes("missing") then return {} end
end
function Image(el) return {} end
function RawBlock(el) return {} end
