-- The placeholder for a missing measured table becomes a red box in the PDF.
function Div(el)
  if el.classes:includes("missing") and FORMAT:match("latex") then
    return { pandoc.RawBlock("latex", "\\begin{missingbox}") } .. el.content .. { pandoc.RawBlock("latex", "\\end{missingbox}") }
  end
  if el.classes:includes("listing") and FORMAT:match("latex") then
    return { pandoc.RawBlock("latex", "{\\footnotesize\\itshape") } .. el.content .. { pandoc.RawBlock("latex", "\\par}") }
  end
end
