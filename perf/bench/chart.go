package main

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// chart draws Mpps per path (measured rows only), one bar per flow count.
func (r *Report) chart(file string) error {
	var paths []string
	var flows []int
	at := map[string]map[int]float64{}
	for _, row := range r.Rows {
		if row.Skipped != "" || row.Error != "" {
			continue
		}
		if at[row.Path] == nil {
			at[row.Path] = map[int]float64{}
			paths = append(paths, row.Path)
		}
		at[row.Path][row.Flows] = row.Mpps
		seen := false
		for _, f := range flows {
			seen = seen || f == row.Flows
		}
		if !seen {
			flows = append(flows, row.Flows)
		}
	}
	if len(paths) == 0 {
		return fmt.Errorf("nothing measured")
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%d-byte frames, %s, kernel %s, %s", r.FrameSize, r.Date, r.Kernel, r.Commit)
	p.Y.Label.Text = "Mpps delivered to the sink"
	palette := []color.Color{
		color.RGBA{0x1f, 0x77, 0xb4, 0xff}, color.RGBA{0xff, 0x7f, 0x0e, 0xff}, color.RGBA{0x2c, 0xa0, 0x2c, 0xff},
		color.RGBA{0xd6, 0x27, 0x28, 0xff},
	}
	w := vg.Points(14)
	for i, f := range flows {
		vals := make(plotter.Values, len(paths))
		for j, path := range paths {
			vals[j] = at[path][f]
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return err
		}
		bars.LineStyle.Width = 0
		bars.Color = palette[i%len(palette)]
		bars.Offset = w * vg.Length(float64(i)-float64(len(flows)-1)/2)
		p.Add(bars)
		p.Legend.Add(flowText(f)+" flows", bars)
	}
	p.Legend.Top = true
	p.NominalX(paths...)
	p.X.Tick.Label.Rotation = 0.5
	p.X.Tick.Label.XAlign = -1
	p.X.Tick.Label.YAlign = -1
	return p.Save(vg.Length(len(paths))*1.9*vg.Inch+3*vg.Inch, 5*vg.Inch, file)
}
