// ECharts for the Figures tab, loaded when that tab first opens rather than at start-up. Only
// what the charts use is imported, so only that goes into the bundle. SVG draws sharp on any
// screen density and needs no canvas (so charts also render where there is none, as in tests).
import { use } from 'echarts/core'
import { SVGRenderer } from 'echarts/renderers'
import { BarChart, LineChart, PieChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components'
import VChart from 'vue-echarts'

use([SVGRenderer, BarChart, LineChart, PieChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent])

export default VChart
