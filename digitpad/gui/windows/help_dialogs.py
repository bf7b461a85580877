"""Help → About digitpad and Help → How it works."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from digitpad import __version__

PAPER = ("Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, Gradient-Based Learning Applied to Document "
         "Recognition, Proc. IEEE 86(11), 1998")
MNIST_LICENCE = "CC BY-SA 3.0, Yann LeCun, Corinna Cortes, Christopher J.C. Burges"


def about_html() -> str:
    return (f"<h3>digitpad {__version__}</h3>"
            "<p>Draw a digit and watch a faithful LeNet-5 recognise it.</p>"
            f"<p>The network is the one described in:<br><i>{PAPER}</i>.</p>"
            "<p>Trained on the MNIST database of handwritten digits, licensed "
            f"{MNIST_LICENCE}.</p>")


HOW_IT_WORKS_HTML = """
<h2>How LeNet-5 reads your digit</h2>
<p>Your strokes are turned into the same kind of picture the network was trained on: the ink is
scaled so its longer side is 20 pixels, centred by its centre of mass in a 28×28 field, and
padded to <b>32×32</b>. Paper is −0.1 and ink is +1.175. That is the <i>input</i> view.</p>

<h3>The layers</h3>
<p>Every layer ends with the same squashing function, 1.7159·tanh(⅔·a), so every value you see
lies between −1.7 (blue) and +1.7 (red); white is zero.</p>
<ul>
<li><b>C1</b> — six 5×5 filters slide over the input, giving six 28×28 <i>feature maps</i>.
Each looks for one simple pattern, such as an edge in one direction, everywhere at once.</li>
<li><b>S2</b> — each C1 map is shrunk to 14×14 by adding up 2×2 blocks (with a learned weight
and bias). Exact positions matter less after this, which makes the network tolerant of small
shifts and wobbles.</li>
<li><b>C3</b> — sixteen 10×10 maps, each combining a few S2 maps with 5×5 filters. Which S2 maps
each one sees is fixed by the paper's connection table (the grid of dots): different inputs
push the maps to learn different, complementary features.</li>
<li><b>S4</b> — C3 shrunk again, to sixteen 5×5 maps.</li>
<li><b>C5</b> — 120 units, each looking at all of S4 through 5×5 filters: a summary of the whole
digit.</li>
<li><b>F6</b> — 84 units computed from C5. 84 = 7×12, and that is no accident.</li>
</ul>

<h3>Prototypes and penalties</h3>
<p>Each digit has a fixed <b>prototype</b>: a tiny 7×12 bitmap of that digit, with +1 for ink
and −1 for paper. These are never trained. Instead F6 is trained to <i>draw</i> the prototype
of the right digit, so showing F6's 84 outputs as a 7×12 picture lets you see which prototype
it is imitating.</p>
<p>The output layer compares F6's picture with each prototype and adds up the squared
differences: the <b>penalty</b> y<sub>i</sub> = Σ<sub>j</sub> (x<sub>j</sub> − w<sub>ij</sub>)².
The smaller the penalty, the closer the match; the digit with the smallest penalty wins.
In the F6 panel each digit's row shows its penalty as a number and a bar for how <i>close</i>
F6 is to that prototype (the smallest penalty divided by the row's): the answer's bar is full,
the longest; a digit twice as far away gets half a bar, and a near tie shows as two long bars.</p>
<p>When even the best penalty is large, the paper's "rubbish" class takes over and digitpad
says <i>Not a digit</i> instead of guessing (the network was trained on letters, symbols and
scribbles to make it so). When the two best penalties are close it says <i>Not sure: 0 or 8?</i>,
and a mark much smaller than the canvas gets <i>Too small — draw bigger</i>.</p>

<h3>Why it decided (View menu)</h3>
<p><b>Why? Attribution Panel</b> — each ink pixel coloured by how much it changed the penalty of the
answer (or of a class you pick there or in the F6 panel), measured
along the way from a blank page to your drawing (<i>integrated gradients</i>). <b>Purple</b> ink
lowered the penalty: it speaks <i>for</i> the class. <b>Orange</b> ink raised it: it speaks
<i>against</i>. Paper is always zero, and all the colours add up to the difference between the
penalty of your drawing and that of a blank page. The same colours lie over your strokes on the
canvas. Below, each stroke is left out in turn: "without stroke 2 it would be a 1".</p>
<p><b>Invariance Explorer</b> — shifts, scales, rotates, squeezes, shears, thickens or adds noise
to your drawing step by step and plots all ten penalties against the amount: the lowest line is
the answer at each step, marked with a dot (a cross for "not a digit"), and the red dashed line
is the <i>breaking point</i>, where the answer first changes. Drag the slider to see what the
network saw at each step. A shift or a change of size applied to the drawing <i>before</i>
normalisation changes nothing — normalisation re-centres and re-sizes every drawing — so those
are applied to the 32×32 input by default, as in the paper's demonstrations.</p>
<p><b>Trace a Unit</b> — click a unit in any feature map (or F6's picture) to see the pixels of
the input it can see (its receptive field), the maps of the layer below that feed it (for C3
only the ones the connection table allows), its weights as small pictures (red positive, blue
negative) and its value.</p>

<h3>Numbers (View → Number Mode, Ctrl+M)</h3>
<p>Write several digits side by side — 42, 2048 — and number mode comes on by itself (or press
Ctrl+M). The drawing is cut at more places than needed, every piece is read by the network, and
the cheapest way to read the whole is chosen, as the paper read ZIP codes. Boxes over the canvas
show each piece's digit and penalty. The input, F6 and internals panels, Why?, the Invariance
Explorer and Trace a Unit show one piece at a time: click a piece (its box, or in the
<i>Number · pieces</i> panel) to look inside it, and type a digit to correct it.</p>

<h3>Teaching it your handwriting (Teach and Model menus)</h3>
<p><b>Teach → This Is a 0 … 9</b> (Ctrl+Shift+digit) keeps the drawing as one of your samples;
<b>Undo Teach</b> takes the last one back and <b>Browse My Samples…</b> shows them all, to relabel
or delete. <b>Model → Retrain…</b> (Ctrl+R) trains a new network in the background: the
<i>Fine-tune on my samples</i> preset starts from the weights in use and takes seconds; at the
end you compare the two and <i>Adopt</i> the new one or <i>Discard</i> it. <b>Weights History…</b>
switches between the models you adopted (<b>Load Weights…</b> opens any checkpoint, <b>Revert to
Shipped Weights</b> goes back, <b>Export as ONNX…</b> saves the model for other programs and
<b>Device</b> picks the CPU or a graphics card).</p>
<p><b>Model → Mistakes…</b> runs the model over the MNIST test set (or the pen digits of writers it
never saw, or your samples) and lists what it gets wrong, most confidently wrong first, beside a
confusion map; double-click one to open it in the window. <b>Training Time-lapse…</b> replays a
run you trained: its kernels, F6 and the penalties of your drawing, and the curves, snapshot by
snapshot.</p>
"""


class HowItWorksDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("How It Works")
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(True)
        self.browser.setHtml(HOW_IT_WORKS_HTML)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(620, 640)
